"""Generalized IF (Mihalas-Niebur): ``GifParams``, ``GifState``, ``gif_step``, ``GifRef``,
``Gif``."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import braintools
import brainstate
import jax
import jax.numpy as jnp
import saiunit as u

from .. import surrogate
from .._base import Neuron
from .._units import GOHM, MS, MV, PA, PER_MS
from ._common import drive_at, exp_euler, reset_from_spike


__all__ = ["GifParams", "GifState", "gif_step", "gif_spike", "GifRef", "Gif"]


class GifParams(NamedTuple):
    """Parameters of :class:`GifRef` / :class:`Gif` in internal units (plain floats or arrays)."""

    tau: jax.Array  # ms
    R: jax.Array  # GOhm (GOhm * pA = mV)
    V_rest: jax.Array  # mV
    V_reset: jax.Array  # mV
    V_th_inf: jax.Array  # mV
    V_th_reset: jax.Array  # mV
    a: jax.Array  # 1/ms
    b: jax.Array  # 1/ms
    k1: jax.Array  # 1/ms
    k2: jax.Array  # 1/ms
    R1: jax.Array  # dimensionless
    R2: jax.Array  # dimensionless
    A1: jax.Array  # pA
    A2: jax.Array  # pA
    tau_ref: jax.Array = 0.0  # ms (used only with refractory=True)


class GifState(NamedTuple):
    """State of :class:`GifRef` / :class:`Gif`."""

    V: jax.Array  # mV
    I1: jax.Array  # pA
    I2: jax.Array  # pA
    V_th: jax.Array  # mV (the dynamic threshold)
    last_spike_time: jax.Array = -1e7  # ms
    refractory: jax.Array = False  # bool


def gif_spike(p: GifParams, V, V_th, spk_fun: Callable = surrogate.relu_grad):
    r"""Spike output $\mathrm{spk\_fun}((V - \theta) / (\theta - V_\mathrm{reset}))$.

    $\theta$ is the dynamic threshold ``V_th``.
    """
    return spk_fun((V - V_th) / (V_th - p.V_reset))


def gif_step(p: GifParams, s: GifState, I, dt, t=None, spk_fun: Callable = surrogate.relu_grad,
             soft_reset: bool = True, delta=0.0, *, refractory: bool = True,
             late_binding: bool = False):
    r"""Advance :class:`GifRef` (defaults) or :class:`Gif` by one step of ``dt`` ms.

    Returns ``(new_state, spike)``; equations and step order: see :class:`GifRef`. ``I`` (pA)
    is an array or a callable ``I(V)`` (its derivative enters the exponential-Euler
    Jacobian); ``delta`` (mV) is added to the integrated V. ``refractory=True`` applies
    ``tau_ref`` and records spike times at the step time ``t`` (ms, required);
    ``late_binding=True`` integrates V with the advanced currents $I_j(t + \Delta t)$, not
    the reset ones (``brainpy.state.Gif``). :class:`Gif` is ``refractory=False,
    late_binding=True``. Pure: safe under ``jit``, ``vmap``, ``grad`` and ``lax.scan``.

    Examples
    --------
    >>> from spikax.functional import GifParams, GifState, gif_step
    >>> p = GifParams(tau=20.0, R=2e-8, V_rest=-70.0, V_reset=-70.0, V_th_inf=-50.0,
    ...               V_th_reset=-60.0, a=0.0, b=0.01, k1=0.2, k2=0.02, R1=0.0, R2=1.0,
    ...               A1=0.0, A2=0.0, tau_ref=1.7)
    >>> s, spike = gif_step(p, GifState(-70.0, 100.0, 0.0, -50.0), 0.0, 0.1, t=0.0)
    >>> round(float(s.I1), 6)                      # 100 pA * exp(-0.2 * 0.1)
    98.019867
    """
    if refractory and t is None:
        raise ValueError("gif_step: refractory=True needs the time `t` (ms) of the step.")
    V, I1, I2, th = (jnp.asarray(a) for a in s[:4])
    last = jnp.asarray(s.last_spike_time)
    spk = gif_spike(p, V, th, spk_fun)
    # Materialise the spike once (and pass the old states along, so that each is read before
    # it is written): XLA (CPU) would otherwise recompute it, division and all, inside the
    # fusion of every state it resets, and copy the old states every step for them.
    spk, V, I1, I2, th, last = jax.lax.optimization_barrier((spk, V, I1, I2, th, last))
    v_r = reset_from_spike(V, spk, th, p.V_reset, soft_reset)
    if refractory:
        # From here on the old V is read only through v_r and `last` only through refr, so
        # that each can be overwritten in place (GifRef 1.17e9 -> 1.36e9 neuron-steps/s,
        # tiled counts; Gif, without refractoriness, ran 4 % slower with the same barriers).
        refr = (t - last) < p.tau_ref
        v_r, refr, I1, I2, th = jax.lax.optimization_barrier((v_r, refr, I1, I2, th))

    def currents(I1, I2):  # reset, then decayed over the step
        i1_r = I1 + spk * (p.R1 * I1 + p.A1 - I1)
        i2_r = I2 + spk * (p.R2 * I2 + p.A2 - I2)
        return (i1_r, i2_r, exp_euler(lambda i: -p.k1 * i, i1_r, dt),
                exp_euler(lambda i: -p.k2 * i, i2_r, dt))

    i1_r, i2_r, i1_c, i2_c = currents(I1, I2)
    th_r = th + spk * (jnp.maximum(p.V_th_reset, th) - th)
    th_c = exp_euler(lambda x: p.a * (v_r - p.V_rest) - p.b * (x - p.V_th_inf), th_r, dt)
    j1, j2 = (i1_c, i2_c) if late_binding else (i1_r, i2_r)
    v_c = exp_euler(lambda v: (-(v - p.V_rest) + p.R * (j1 + j2 + drive_at(I, v))) / p.tau,
                    v_r, dt) + delta
    if not refractory:
        return (GifState(v_c, i1_c, i2_c, th_c, last, v_c >= th_c),
                gif_spike(p, v_c, th_c, spk_fun))
    keep = lambda held, new: jnp.where(refr, held, new)  # noqa: E731
    V = keep(v_r, v_c)
    # V is computed before the currents are overwritten in place (it read the old ones)
    V, I1, I2 = jax.lax.optimization_barrier((V, I1, I2))
    i1_r, i2_r, i1_c, i2_c = currents(I1, I2)
    I1, I2, th = keep(i1_r, i1_c), keep(i2_r, i2_c), keep(th_r, th_c)
    fired = V >= th
    last = jax.lax.stop_gradient(jnp.where(fired, t, last))
    return (GifState(V, I1, I2, th, last, jax.lax.stop_gradient(refr | fired)),
            gif_spike(p, V, th, spk_fun))


class _GifBase(Neuron):
    """GifRef's constructor and the machinery :class:`GifRef` and :class:`Gif` share."""

    _REFRACTORY = True

    def __init__(self, in_size, R=20.0 * u.ohm, tau=20.0 * u.ms, tau_ref=1.7 * u.ms,
                 V_rest=-70.0 * u.mV, V_reset=-70.0 * u.mV, V_th_inf=-50.0 * u.mV,
                 V_th_reset=-60.0 * u.mV,
                 V_th_initializer: Callable = braintools.init.Constant(-50.0 * u.mV),
                 a=0.0 / u.ms, b=0.01 / u.ms, k1=0.2 / u.ms, k2=0.02 / u.ms, R1=0.0, R2=1.0,
                 A1=0.0 * u.mA, A2=0.0 * u.mA,
                 V_initializer: Callable = braintools.init.Constant(-70.0 * u.mV),
                 I1_initializer: Callable = braintools.init.Constant(0.0 * u.mA),
                 I2_initializer: Callable = braintools.init.Constant(0.0 * u.mA),
                 spk_fun: Callable = surrogate.ReluGrad(), spk_reset: str = "soft",
                 ref_var: bool = False, name: str | None = None):
        super().__init__(in_size, spk_fun=spk_fun, spk_reset=spk_reset, name=name)
        P, nonneg = self._param, dict(lower=0.0)
        self.R = P(R, "R", GOHM, **nonneg)
        self.tau = P(tau, "tau", MS, lower=0.0, lower_open=True)
        if self._REFRACTORY:
            self.tau_ref = P(tau_ref, "tau_ref", MS, **nonneg)
        self.V_rest, self.V_reset = P(V_rest, "V_rest", MV), P(V_reset, "V_reset", MV)
        self.V_th_inf = P(V_th_inf, "V_th_inf", MV)
        self.V_th_reset = P(V_th_reset, "V_th_reset", MV)
        self.a, self.b = P(a, "a", PER_MS), P(b, "b", PER_MS, **nonneg)
        self.k1, self.k2 = P(k1, "k1", PER_MS, **nonneg), P(k2, "k2", PER_MS, **nonneg)
        self.R1, self.R2 = P(R1, "R1", u.UNITLESS), P(R2, "R2", u.UNITLESS)
        self.A1, self.A2 = P(A1, "A1", PA), P(A2, "A2", PA)
        p = self._params()
        self._require_less(p.V_reset, p.V_th_reset, "V_reset", "V_th_reset")
        self._require_less(p.V_reset, p.V_th_inf, "V_reset", "V_th_inf")
        self.V_initializer, self.V_th_initializer = V_initializer, V_th_initializer
        self.I1_initializer, self.I2_initializer = I1_initializer, I2_initializer
        self.ref_var = bool(ref_var) and self._REFRACTORY

    def _params(self) -> GifParams:
        units = (MS, GOHM, MV, MV, MV, MV, PER_MS, PER_MS, PER_MS, PER_MS, u.UNITLESS,
                 u.UNITLESS, PA, PA, MS)
        return GifParams(*(self._internal(getattr(self, f, 0.0 * MS), f, unit)
                           for f, unit in zip(GifParams._fields, units)))

    def _initial(self, batch_size):
        H = brainstate.HiddenState
        init = {k: (H, self._init_value(getattr(self, f"{k}_initializer"), unit,
                                        f"{k}_initializer", batch_size))
                for k, unit in (("V", MV), ("I1", PA), ("I2", PA), ("V_th", MV))}
        if self._REFRACTORY:
            V = init["V"][1]
            init.update(self._clock_states(V.shape, V.dtype))
            if self.ref_var:
                init["refractory"] = (H, jnp.zeros(V.shape, bool))
        return init

    def get_spike(self, V=None, V_th=None):
        """Spike output for ``V`` and threshold ``V_th`` (default: the current states)."""
        V = self._internal(self.V.value if V is None else V, "V", MV)
        V_th = self._internal(self.V_th.value if V_th is None else V_th, "V_th", MV)
        return gif_spike(self._params(), V, V_th, self.spk_fun)

    def update(self, x=0.0 * u.mA):
        """Advance one step ``dt`` under external current ``x``; return the spikes."""
        spec = dict(V=MV, I1=PA, I2=PA, V_th=MV)
        if self._REFRACTORY:
            spec["last_spike_time"] = MS
        old = self._read_states(spec)
        cast = lambda a: jnp.asarray(a, old["V"].dtype)  # noqa: E731
        dt = self.dt_ms()
        t = cast(self._now_ms(dt)) if self._REFRACTORY else None
        state, spike = gif_step(
            GifParams(*map(cast, self._params())), GifState(**old),
            self._current_drive(x, PA, MV), dt, t, self.spk_fun, self.spk_reset == "soft",
            self._delta_jump(MV), refractory=self._REFRACTORY, late_binding=not self._REFRACTORY)
        if self.ref_var:
            spec["refractory"], old["refractory"] = None, self.refractory.value
        self._write_states(spec, state, old)
        if self._REFRACTORY:
            self._advance_clock()
        return spike


class GifRef(_GifBase):
    r"""Generalized integrate-and-fire neuron (Mihalas & Niebur 2009) with refractoriness.

    Mirror of ``brainpy.state.GifRef`` (brainpy 2.9), with $\theta$ the state ``V_th``:

    $$\frac{dI_j}{dt} = -k_j I_j \ (j = 1, 2), \quad
      \tau \frac{dV}{dt} = -(V - V_\mathrm{rest}) + R\,(I_1 + I_2 + I(t)), \quad
      \frac{d\theta}{dt} = a\,(V - V_\mathrm{rest}) - b\,(\theta - \theta_\infty)$$

    A spike is $V \ge \theta$. At the next step $V \leftarrow V_\mathrm{reset}$ (hard) or
    $V - (\theta - V_\mathrm{reset})$ (soft), $I_j \leftarrow R_j I_j + A_j$,
    $\theta \leftarrow \max(\theta_\mathrm{reset}, \theta)$; for ``tau_ref`` after a spike
    all four are held at their reset values.

    Parameters
    ----------
    in_size : int or tuple of int
        Population shape.
    R : Quantity[resistance], default 20 ohm
        Membrane resistance (>= 0).
    tau : Quantity[time], default 20 ms
        Membrane time constant (> 0).
    tau_ref : Quantity[time], default 1.7 ms
        Absolute refractory period (>= 0; 0: none).
    V_rest, V_reset : Quantity[voltage], default -70 mV, -70 mV
        Resting and reset potentials.
    V_th_inf, V_th_reset : Quantity[voltage], default -50 mV, -60 mV
        Target $\theta_\infty$ of the threshold and its lower bound after a spike; both
        must be > ``V_reset``.
    V_th_initializer : callable or Quantity, default ``Constant(-50 mV)``
        Initial threshold.
    a, b : Quantity[1/time], default 0 /ms, 0.01 /ms
        Voltage coupling (any sign) and relaxation rate (>= 0) of the threshold.
    k1, k2 : Quantity[1/time], default 0.2 /ms, 0.02 /ms
        Decay rates of $I_1$, $I_2$ (>= 0: decay, not growth).
    R1, R2 : float, default 0, 1
        Multiplicative part of the current reset (dimensionless, any sign).
    A1, A2 : Quantity[current], default 0 mA, 0 mA
        Additive part of the current reset.
    V_initializer, I1_initializer, I2_initializer : callable or Quantity
        Initial $V$ (default -70 mV), $I_1$, $I_2$ (default 0 mA).
    spk_fun : callable, default ``spikax.surrogate.ReluGrad()``
        Surrogate spike function.
    spk_reset : {'soft', 'hard'}, default 'soft'
        Voltage reset (hard: the jump carries no gradient through $V$).
    ref_var : bool, default False
        Also keep the boolean state ``refractory``.
    name : str, optional
        Module name.

    Attributes
    ----------
    V, V_th : HiddenState[mV]
        Membrane potential and dynamic threshold $\theta$.
    I1, I2 : HiddenState[pA]
        Internal currents (in pA; ``.to_decimal(u.mA)`` gives brainpy's unit).
    last_spike_time, n_steps : ShortTermState[ms, int]
        ``t`` of the last spike step (-1e7 ms before any); updates since ``init_state``.
    refractory : HiddenState[bool]
        Only with ``ref_var=True``: refractory at this step, or spiked.

    Notes
    -----
    Parameters may be scalars or arrays broadcastable to ``in_size`` and must be finite;
    violations are a ``ValueError`` naming the parameter, the range and the value.

    One ``update(x)`` at time ``t`` (``brainstate.environ.get('t')``; if unset
    ``n_steps * dt``, where brainpy.state raises ``KeyError``): (1) the resets above,
    blended with the previous float spike $s$ (e.g. $I_j + s\,(R_j I_j + A_j - I_j)$);
    (2) one exponential-Euler step (exact for these linear equations) of each variable from
    its reset value, the others held at their reset values ($\theta$ uses the reset $V$;
    callable current inputs $I(V)$ enter the V Jacobian), then the delta inputs (mV);
    (3) if $t - t_\mathrm{last} < \tau_\mathrm{ref}$ (strict) keep the reset values;
    (4) spike if $V \ge \theta$, then $t_\mathrm{last} = t$. The returned spike divides by
    $\theta - V_\mathrm{reset}$, so it flips if $\theta$ falls below ``V_reset`` (possible
    with $a < 0$; as in brainpy.state). The state is held for
    $\lceil\tau_\mathrm{ref}/\Delta t\rceil - 1$ steps after a spike; when
    $\tau_\mathrm{ref}/\Delta t$ is an integer the count depends on the rounding of $t$:
    form ``t = k * dt`` the same way everywhere (Q-1).

    Validated against ``brainpy.state.GifRef`` 2.9.0 traces (``tests/reference``): identical
    spikes and spike times, $|\Delta V| \le 2 \cdot 10^{-13}$ mV in float64. Pure form:
    :func:`spikax.functional.gif_step`.

    Examples
    --------
    >>> import brainstate, saiunit as u
    >>> import spikax
    >>> with brainstate.environ.context(dt=0.1 * u.ms, t=0.0 * u.ms):
    ...     n = spikax.GifRef(3, tau_ref=2.0 * u.ms, a=0.005 / u.ms, ref_var=True)
    ...     n.init_state(batch_size=2)
    ...     n.update(1.5 * u.mA).shape
    (2, 3)
    """


class Gif(_GifBase):
    r"""Generalized integrate-and-fire neuron without refractoriness (``brainpy.state.Gif``).

    :class:`GifRef`'s equations and resets, without ``tau_ref`` and ``ref_var`` (no
    ``last_spike_time``, no ``t`` needed):

    $$\tau \frac{dV}{dt} = -(V - V_\mathrm{rest}) + R\,(I_1 + I_2 + I(t)), \quad
      \frac{dI_j}{dt} = -k_j I_j, \quad
      \frac{d\theta}{dt} = a\,(V - V_\mathrm{rest}) - b\,(\theta - \theta_\infty)$$

    Parameters
    ----------
    in_size, R, tau, V_rest, V_reset, V_th_inf, V_th_reset, V_th_initializer, a, b, k1, k2
        As for :class:`GifRef` (same defaults, units and constraints).
    R1, R2, A1, A2, V_initializer, I1_initializer, I2_initializer, spk_fun, spk_reset, name
        As for :class:`GifRef`.

    Notes
    -----
    Not ``GifRef(tau_ref=0)``: brainpy.state's Gif integrates V with the currents already
    advanced to $t + \Delta t$ (its V derivative reads ``I1``, ``I2`` after they were
    rebound: late binding), GifRef with the reset ones; once $I_j \ne 0$ (e.g.
    $A_1 \ne 0$) spikes shift. Kept for parity. Validated against ``brainpy.state.Gif``
    2.9.0 traces: identical spikes, $|\Delta V| \le 2 \cdot 10^{-13}$ mV in float64. Pure
    form: :func:`spikax.functional.gif_step` with ``refractory=False, late_binding=True``.

    Examples
    --------
    >>> import brainstate, saiunit as u
    >>> import spikax
    >>> with brainstate.environ.context(dt=0.1 * u.ms):
    ...     n = spikax.Gif(4, a=0.005 / u.ms, A1=10.0 * u.mA, A2=-0.6 * u.mA)
    ...     n.init_state()
    ...     n.update(1.5 * u.mA).shape
    (4,)
    """

    _REFRACTORY = False

    def __init__(self, in_size, R=20.0 * u.ohm, tau=20.0 * u.ms, V_rest=-70.0 * u.mV,
                 V_reset=-70.0 * u.mV, V_th_inf=-50.0 * u.mV, V_th_reset=-60.0 * u.mV,
                 V_th_initializer: Callable = braintools.init.Constant(-50.0 * u.mV),
                 a=0.0 / u.ms, b=0.01 / u.ms, k1=0.2 / u.ms, k2=0.02 / u.ms, R1=0.0, R2=1.0,
                 A1=0.0 * u.mA, A2=0.0 * u.mA,
                 V_initializer: Callable = braintools.init.Constant(-70.0 * u.mV),
                 I1_initializer: Callable = braintools.init.Constant(0.0 * u.mA),
                 I2_initializer: Callable = braintools.init.Constant(0.0 * u.mA),
                 spk_fun: Callable = surrogate.ReluGrad(), spk_reset: str = "soft",
                 name: str | None = None):
        super().__init__(in_size, R, tau, None, V_rest, V_reset, V_th_inf, V_th_reset,
                         V_th_initializer, a, b, k1, k2, R1, R2, A1, A2, V_initializer,
                         I1_initializer, I2_initializer, spk_fun, spk_reset, False, name)
