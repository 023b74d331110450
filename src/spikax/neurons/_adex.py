"""Adaptive exponential IF: ``AdExParams``, ``AdExState``, ``adex_step`` and ``AdExIFRef``."""

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
from .._units import GOHM, MS, MV, NS, PA
from ._common import drive_at, exp_euler, reset_from_spike

__all__ = ["AdExParams", "AdExState", "adex_step", "adex_spike", "AdExIFRef"]

EXP_ARG_MAX = 20.0  # brainpy.state's clamp of (V - V_T) / delta_T
DTJ_MAX = 20.0  # our cap of dt * dF/dV in the exponential-Euler factor (see AdExIFRef Notes)


class AdExParams(NamedTuple):
    """Parameters of :class:`AdExIFRef` in internal units (plain floats or arrays)."""

    tau: jax.Array  # ms
    tau_w: jax.Array  # ms
    tau_ref: jax.Array  # ms
    R: jax.Array  # GOhm (GOhm * pA = mV)
    V_th: jax.Array  # mV
    V_reset: jax.Array  # mV
    V_rest: jax.Array  # mV
    V_T: jax.Array  # mV
    delta_T: jax.Array  # mV
    a: jax.Array  # nS (nS * mV = pA)
    b: jax.Array  # pA


class AdExState(NamedTuple):
    """State of :class:`AdExIFRef`."""

    V: jax.Array  # mV
    w: jax.Array  # pA
    last_spike_time: jax.Array = -1e7  # ms
    refractory: jax.Array = False  # bool


def adex_spike(p: AdExParams, V, spk_fun: Callable = surrogate.relu_grad):
    r"""Spike output $\mathrm{spk\_fun}((V - V_\mathrm{th}) / (V_\mathrm{th} -
    V_\mathrm{reset}))$."""
    return surrogate.crossing(spk_fun, V, p.V_th, p.V_th - p.V_reset)


def adex_step(p: AdExParams, s: AdExState, I, dt, t, spk_fun: Callable = surrogate.relu_grad,
              soft_reset: bool = True, delta=0.0):
    """Advance :class:`AdExIFRef` by one step of ``dt`` ms from time ``t`` ms.

    Returns ``(new_state, spike)``. Equations and step order: see :class:`AdExIFRef`. ``I``
    is the external current in pA, an array or a callable ``I(V)`` (its derivative enters
    the exponential-Euler Jacobian); ``delta`` (mV) is added to the integrated V. Pure: safe
    under ``jit``, ``vmap``, ``grad`` and ``lax.scan``.

    Examples
    --------
    >>> from spikax.functional import AdExParams, AdExState, adex_step
    >>> p = AdExParams(tau=10.0, tau_w=30.0, tau_ref=1.7, R=1e-9, V_th=-55.0, V_reset=-68.0,
    ...                V_rest=-65.0, V_T=-59.9, delta_T=3.48, a=1e9, b=1e9)
    >>> s, spike = adex_step(p, AdExState(V=-65.0, w=0.0), 0.0, 0.1, t=0.0)
    >>> bool(s.V > -65.0), float(spike)   # the exponential term pushes V up from rest
    (True, 0.0)
    """
    V, w, last = jnp.asarray(s.V), jnp.asarray(s.w), jnp.asarray(s.last_spike_time)
    spk = adex_spike(p, V, spk_fun)
    v_r = reset_from_spike(V, spk, p.V_th, p.V_reset, soft_reset)
    w_r = w + p.b * spk

    def dv(v):
        # brainpy.state clamps the exponent at 20: the value stays finite and, above the
        # clamp, the derivative of the term (hence its Jacobian share) is exactly 0.
        exp_term = p.delta_T * jnp.exp(jnp.minimum((v - p.V_T) / p.delta_T, EXP_ARG_MAX))
        return (-(v - p.V_rest) + exp_term - p.R * w_r + p.R * drive_at(I, v)) / p.tau

    v_c = exp_euler(dv, v_r, dt, z_max=DTJ_MAX, materialize=True) + delta
    # Materialise the new V once: XLA (CPU) would otherwise recompute it, exponential-Euler
    # factor and all, inside the fusion that updates w (and copy the old states to keep them
    # alive for it); the old spike time passes along so that it is read before it is written.
    v_c, v_r, w_r, last = jax.lax.optimization_barrier((v_c, v_r, w_r, last))
    w_c = exp_euler(lambda x: (p.a * (v_c - p.V_rest) - x) / p.tau_w, w_r, dt)
    refr = (t - last) < p.tau_ref
    V, w = jnp.where(refr, v_r, v_c), jnp.where(refr, w_r, w_c)
    fired = V >= p.V_th
    last = jax.lax.stop_gradient(jnp.where(fired, t, last))
    return (AdExState(V, w, last, jax.lax.stop_gradient(refr | fired)),
            adex_spike(p, V, spk_fun))


class AdExIFRef(Neuron):
    r"""Adaptive exponential integrate-and-fire neuron with an absolute refractory period.

    Mirror of ``brainpy.state.AdExIFRef`` (brainpy 2.9):

    $$\tau \frac{dV}{dt} = -(V - V_\mathrm{rest})
        + \Delta_T\, e^{\min((V - V_T)/\Delta_T,\ 20)} - R\,w + R\,I(t)$$
    $$\tau_w \frac{dw}{dt} = a\,(V - V_\mathrm{rest}) - w$$

    A spike is $V \ge V_\mathrm{th}$; at the next step $V$ is reset and $w \leftarrow w + b$.
    For ``tau_ref`` after a spike both are held at their reset values.

    Parameters
    ----------
    in_size : int or tuple of int
        Population shape.
    R : Quantity[resistance], default 1 ohm
        Membrane resistance $R$ (``R * I`` and ``R * w`` are voltages). Must be >= 0.
    tau : Quantity[time], default 10 ms
        Membrane time constant $\tau$. Must be > 0.
    tau_w : Quantity[time], default 30 ms
        Adaptation time constant $\tau_w$. Must be > 0.
    tau_ref : Quantity[time], default 1.7 ms
        Absolute refractory period. Must be >= 0 (0: none).
    V_th : Quantity[voltage], default -55 mV
        Spike detection threshold $V_\mathrm{th}$. Must be > ``V_reset``.
    V_reset : Quantity[voltage], default -68 mV
        Reset potential $V_\mathrm{reset}$.
    V_rest : Quantity[voltage], default -65 mV
        Resting potential $V_\mathrm{rest}$.
    V_T : Quantity[voltage], default -59.9 mV
        Threshold of the exponential term $V_T$.
    delta_T : Quantity[voltage], default 3.48 mV
        Slope factor $\Delta_T$. Must be > 0.
    a : Quantity[conductance], default 1 S
        Subthreshold adaptation $a$ (any sign).
    b : Quantity[current], default 1 mA
        Spike-triggered increment of $w$. Must be >= 0 (adaptation, not facilitation).
    V_initializer, w_initializer : callable or Quantity
        Initial $V$ (default ``Constant(-65 mV)``) and $w$ (default ``Constant(0 mA)``).
    spk_fun : callable, default ``spikax.surrogate.ReluGrad()``
        Surrogate spike function.
    spk_reset : {'soft', 'hard'}, default 'soft'
        ``'soft'``: $V \leftarrow V - (V_\mathrm{th} - V_\mathrm{reset})$; ``'hard'``:
        $V \leftarrow V_\mathrm{reset}$ (the jump carries no gradient through $V$).
    ref_var : bool, default False
        Also keep the boolean state ``refractory``.
    name : str, optional
        Module name.

    Attributes
    ----------
    V : HiddenState[mV]
        Membrane potential.
    w : HiddenState[pA]
        Adaptation current (stored in pA; ``w.value.to_decimal(u.mA)`` gives brainpy's unit).
    last_spike_time : ShortTermState[ms]
        ``t`` of the step of the last spike (-1e7 ms before any).
    refractory : HiddenState[bool]
        Only with ``ref_var=True``: refractory at this step, or spiked.
    n_steps : ShortTermState[int]
        Updates since ``init_state``; ``t = n_steps * dt`` when no ``t`` is set.

    Notes
    -----
    Every parameter may be a scalar or an array broadcastable to ``in_size``; all must be
    finite. Violations are a ``ValueError`` naming the parameter, the range and the value.

    One ``update(x)`` at time ``t`` (``brainstate.environ.get('t')``; if unset,
    ``n_steps * dt``, where brainpy.state raises ``KeyError``), with $s$ the previous spike:

    1. $v_r = V - (c - V_\mathrm{reset})\,s$ ($c = V_\mathrm{th}$ soft,
       ``stop_gradient(V)`` hard); $w_r = w + b\,s$;
    2. $V_c$: one exponential-Euler step of the V equation from $v_r$, with $w = w_r$ held
       and the current inputs inside the derivative (callable inputs $I(V)$ enter the
       Jacobian); then the delta inputs (mV) are added;
    3. $w_c$: one exponential-Euler step (exact, linear) of the w equation from $w_r$ with
       the **new** $V_c$;
    4. refractory if $t - t_\mathrm{last} < \tau_\mathrm{ref}$ (strict): keep $v_r, w_r$;
    5. spike if $V \ge V_\mathrm{th}$ on the stored $V$; then $t_\mathrm{last} = t$.

    Exponential Euler is $x + \Delta t\,\varphi(\Delta t J) f(x)$ with the diagonal
    Jacobian $J$. Ours caps $\Delta t J$ at 20: brainpy.state overflows (inf, then NaN in
    gradients even through the discarded branch of the refractory ``where``) once
    $\Delta t J \gtrsim 88$ (float32) / 709 (float64), e.g. when ``V_th`` is set near 0 mV
    so V starts a step high on the exponential; a step amplifying by more than $e^{20}$ is
    meaningless anyway. Below the cap the step is brainpy's, bit for bit in logic. With the
    exponent clamp, one step's values and gradients are finite for any finite state and
    input (a long BPTT chain through an unstable regime can still grow geometrically).

    Refractoriness compares floats, so after a spike at $t_k$ the state is held for
    $\lceil\tau_\mathrm{ref}/\Delta t\rceil - 1$ steps; when $\tau_\mathrm{ref}/\Delta t$ is
    an integer the count depends on how $t$ was rounded: form ``t = k * dt`` the same way
    everywhere (Q-1). In float32, $t$ loses resolution in long runs (ulp 0.008 ms at
    $10^5$ ms). A soft reset that leaves $V \ge V_\mathrm{th}$ re-fires during the
    refractory period (brainpy.state does the same).

    Validated against ``brainpy.state.AdExIFRef`` 2.9.0 traces (``tests/reference``,
    soft/hard, ``ref_var``, random drive, a conductance input): identical spikes and spike
    times, $|\Delta V| \le 10^{-13}$ mV, $|\Delta w| \le 2 \cdot 10^{-14}$ mA in float64.
    Pure form:
    :func:`spikax.functional.adex_step`.

    Examples
    --------
    >>> import brainstate, saiunit as u
    >>> import spikax
    >>> with brainstate.environ.context(dt=0.1 * u.ms, t=0.0 * u.ms):
    ...     n = spikax.AdExIFRef(3, tau_ref=2.0 * u.ms, ref_var=True)
    ...     n.init_state(batch_size=2)
    ...     n.update(25.0 * u.mA).shape
    (2, 3)
    """

    def __init__(
        self,
        in_size,
        R=1.0 * u.ohm,
        tau=10.0 * u.ms,
        tau_w=30.0 * u.ms,
        tau_ref=1.7 * u.ms,
        V_th=-55.0 * u.mV,
        V_reset=-68.0 * u.mV,
        V_rest=-65.0 * u.mV,
        V_T=-59.9 * u.mV,
        delta_T=3.48 * u.mV,
        a=1.0 * u.siemens,
        b=1.0 * u.mA,
        V_initializer: Callable = braintools.init.Constant(-65.0 * u.mV),
        w_initializer: Callable = braintools.init.Constant(0.0 * u.mA),
        spk_fun: Callable = surrogate.ReluGrad(),
        spk_reset: str = "soft",
        ref_var: bool = False,
        name: str | None = None,
    ):
        super().__init__(in_size, spk_fun=spk_fun, spk_reset=spk_reset, name=name)
        pos = dict(lower=0.0, lower_open=True)
        self.R = self._param(R, "R", GOHM, lower=0.0)
        self.tau = self._param(tau, "tau", MS, **pos)
        self.tau_w = self._param(tau_w, "tau_w", MS, **pos)
        self.tau_ref = self._param(tau_ref, "tau_ref", MS, lower=0.0)
        self.V_th = self._param(V_th, "V_th", MV)
        self.V_reset = self._param(V_reset, "V_reset", MV)
        self.V_rest = self._param(V_rest, "V_rest", MV)
        self.V_T = self._param(V_T, "V_T", MV)
        self.delta_T = self._param(delta_T, "delta_T", MV, **pos)
        self.a = self._param(a, "a", NS)
        self.b = self._param(b, "b", PA, lower=0.0)
        p = self._params()
        self._require_less(p.V_reset, p.V_th, "V_reset", "V_th")
        self.V_initializer, self.w_initializer = V_initializer, w_initializer
        self.ref_var = bool(ref_var)

    def _params(self) -> AdExParams:
        units = (MS, MS, MS, GOHM, MV, MV, MV, MV, MV, NS, PA)
        return AdExParams(*(self._internal(getattr(self, f), f, unit)
                            for f, unit in zip(AdExParams._fields, units)))

    def _initial(self, batch_size):
        V = self._init_value(self.V_initializer, MV, "V_initializer", batch_size)
        w = self._init_value(self.w_initializer, PA, "w_initializer", batch_size)
        H = brainstate.HiddenState
        init = dict(V=(H, V), w=(H, w), **self._clock_states(V.shape, V.dtype))
        if self.ref_var:
            init["refractory"] = (H, jnp.zeros(V.shape, bool))
        return init

    def get_spike(self, V=None):
        """Spike output for ``V`` (default: the current state)."""
        V = self.V.value if V is None else V
        return adex_spike(self._params(), self._internal(V, "V", MV), self.spk_fun)

    def update(self, x=0.0 * u.mA):
        """Advance one step ``dt`` under external current ``x``; return the spikes."""
        spec = dict(V=MV, w=PA, last_spike_time=MS)
        old = self._read_states(spec)
        cast = lambda a: jnp.asarray(a, old["V"].dtype)  # noqa: E731
        dt = self.dt_ms()
        state, spike = adex_step(
            AdExParams(*map(cast, self._params())), AdExState(**old),
            self._current_drive(x, PA, MV), dt, cast(self._now_ms(dt)), self.spk_fun,
            self.spk_reset == "soft", self._delta_jump(MV))
        if self.ref_var:
            spec["refractory"], old["refractory"] = None, self.refractory.value
        self._write_states(spec, state, old)
        self._advance_clock()
        return spike
