"""NEST's ``iaf_psc_alpha``: ``IafPscAlphaParams``, ``IafPscAlphaState``,
``iaf_psc_alpha_step`` and the ``iaf_psc_alpha`` module."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import braintools
import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import saiunit as u

from .. import propagators, surrogate
from .._base import Neuron
from .._units import MS, MV, PA, PF, is_concrete
from ._common import nest_refractory_steps
from ._psc import alpha_psc, alpha_psc_advance

__all__ = ["IafPscAlphaParams", "IafPscAlphaState", "iaf_psc_alpha_step", "iaf_psc_alpha"]

_PA_MS = PA / MS
_UNITS = (PF, MS, MS, MV, MV, MV, MV, PA, MS, MS)  # of IafPscAlphaParams' fields
_STATES = dict(V=MV, dI_ex=_PA_MS, I_ex=PA, dI_in=_PA_MS, I_in=PA, refractory_step_count=None,
               I_stim=PA)  # IafPscAlphaState's fields and their units


class IafPscAlphaParams(NamedTuple):
    """Parameters of :class:`iaf_psc_alpha` in NEST units (plain floats or arrays)."""

    C_m: jax.Array  # pF
    tau_m: jax.Array  # ms
    t_ref: jax.Array  # ms
    E_L: jax.Array  # mV
    V_reset: jax.Array  # mV
    V_th: jax.Array  # mV
    V_min: jax.Array  # mV (-inf: no lower bound)
    I_e: jax.Array  # pA
    tau_syn_ex: jax.Array  # ms
    tau_syn_in: jax.Array  # ms


class IafPscAlphaState(NamedTuple):
    """State of :class:`iaf_psc_alpha`."""

    V: jax.Array  # mV, absolute
    dI_ex: jax.Array  # pA/ms
    I_ex: jax.Array  # pA
    dI_in: jax.Array  # pA/ms
    I_in: jax.Array  # pA
    refractory_step_count: jax.Array  # int, refractory steps left
    I_stim: jax.Array  # pA, the current that arrived in the previous step


def iaf_psc_alpha_step(p: IafPscAlphaParams, s: IafPscAlphaState, x, w_ex, w_in, dt,
                       spk_fun: Callable = surrogate.relu_grad):
    """Advance :class:`iaf_psc_alpha` by one step of ``dt`` ms. Returns ``(new_state, spike)``.

    Equations and step order: see :class:`iaf_psc_alpha`. ``x`` [pA] is the current arriving
    in this step (stored as ``I_stim`` and applied in the next one); ``w_ex`` >= 0 and
    ``w_in`` <= 0 [pA] are the summed weights of the excitatory and inhibitory spikes arriving
    in this step. Pure: safe under ``jit``, ``vmap``, ``grad`` and ``lax.scan``.

    Examples
    --------
    >>> from spikax.functional import IafPscAlphaParams, IafPscAlphaState, iaf_psc_alpha_step
    >>> p = IafPscAlphaParams(C_m=250.0, tau_m=10.0, t_ref=2.0, E_L=-70.0, V_reset=-70.0,
    ...                       V_th=-55.0, V_min=-float("inf"), I_e=0.0, tau_syn_ex=2.0,
    ...                       tau_syn_in=2.0)
    >>> s = IafPscAlphaState(-70.0, 0.0, 0.0, 0.0, 0.0, 0, I_stim=500.0)
    >>> s, spike = iaf_psc_alpha_step(p, s, 500.0, 0.0, 0.0, 0.1)
    >>> round(float(s.V) + 70.0, 4), float(spike)   # 500 pA * P30 above E_L
    (0.199, 0.0)
    """
    y3 = jnp.asarray(s.V) - p.E_L  # NEST integrates V relative to E_L
    theta, v_reset, v_min = p.V_th - p.E_L, p.V_reset - p.E_L, p.V_min - p.E_L
    ex = alpha_psc(p.tau_syn_ex, p.tau_m, p.C_m, dt)
    inh = alpha_psc(p.tau_syn_in, p.tau_m, p.C_m, dt)
    _, P30 = propagators.membrane_propagators(p.tau_m, p.C_m, dt)
    P33_m1 = propagators.decay_expm1(p.tau_m, dt)
    # NEST's update, summed in NEST's order (iaf_psc_alpha.cpp), then the V_min clamp.
    v = (P30 * (s.I_stim + p.I_e) + ex.P31 * s.dI_ex + ex.P32 * s.I_ex + inh.P31 * s.dI_in
         + inh.P32 * s.I_in + P33_m1 * y3 + y3)
    v = jnp.where(v < v_min, v_min, v)
    free = s.refractory_step_count == 0
    y3 = jnp.where(free, v, y3)
    # Materialise the new V once: without the barrier XLA (CPU) recomputes it inside the
    # fusion of every output it feeds (V, count, spike, spike time), each reading all the
    # old states (1.3x slower). The old states, and the next step's stimulus, pass along so
    # that every read of an old state comes before the new one is written over it (else XLA
    # copies them each step).
    y3, s, I_stim = jax.lax.optimization_barrier((y3, s, jnp.zeros_like(y3) + x))
    count = jnp.where(free, s.refractory_step_count, s.refractory_step_count - 1)
    # float64: NEST's operations; otherwise y + (P11 - 1) y, so P11's rounding doesn't compound.
    exact = jnp.result_type(y3) == jnp.float64
    m1 = lambda tau: None if exact else propagators.decay_expm1(tau, dt)  # noqa: E731
    dI_ex, I_ex = alpha_psc_advance(ex, s.dI_ex, s.I_ex, w_ex, P11_m1=m1(p.tau_syn_ex))
    dI_in, I_in = alpha_psc_advance(inh, s.dI_in, s.I_in, w_in, P11_m1=m1(p.tau_syn_in))
    # Spike at y3 >= theta: (y3 - theta) / (theta - v_reset) == (V - V_th) / (V_th - V_reset).
    spike = surrogate.crossing(spk_fun, y3, theta, theta - v_reset)
    fired = y3 >= theta
    # Hard reset. The forward value is exactly NEST's; the gradient is LIF's hard reset
    # y3 - (stop_gradient(y3) - v_reset) * spike (1 through y3, -(y3 - v_reset) through spike).
    sg = jax.lax.stop_gradient
    y3 = (jnp.where(fired, v_reset, sg(y3)) + (y3 - sg(y3))
          - (sg(y3) - v_reset) * (spike - sg(spike)))
    count = jnp.where(fired, nest_refractory_steps(p.t_ref, dt), count)
    new = IafPscAlphaState(y3 + p.E_L, dI_ex, I_ex, dI_in, I_in, count, I_stim)
    return new, spike


class iaf_psc_alpha(Neuron):
    r"""NEST's leaky integrate-and-fire neuron with alpha-shaped synaptic currents.

    $$C_m \frac{dV}{dt} = -\frac{C_m}{\tau_m}(V - E_L) + I_\mathrm{ex}(t) + I_\mathrm{in}(t)
      + I_e + I_\mathrm{stim}(t), \qquad V \ge V_\mathrm{min}$$

    $$\frac{dI_X}{dt} = \dot I_X - \frac{I_X}{\tau_{\mathrm{syn},X}}, \qquad
      \frac{d\dot I_X}{dt} = -\frac{\dot I_X}{\tau_{\mathrm{syn},X}}, \qquad
      \dot I_X \mathrel{+}= \frac{e}{\tau_{\mathrm{syn},X}}\, w$$

    so a spike of weight $w$ pA gives $I_X(t) = w\,(t/\tau_{\mathrm{syn},X})\,
    e^{1 - t/\tau_{\mathrm{syn},X}}$, peaking at $w$ at $t = \tau_{\mathrm{syn},X}$. When
    $V \ge V_\mathrm{th}$ the neuron spikes, $V$ is set to $V_\mathrm{reset}$ and held
    there for $t_\mathrm{ref}$.

    Parameters
    ----------
    in_size : int or tuple of int
        Population shape.
    C_m : Quantity[capacitance] or float [pF], default 250 pF
        Membrane capacitance $C_m$. Must be > 0.
    tau_m : Quantity[time] or float [ms], default 10 ms
        Membrane time constant $\tau_m$. Must be > 0.
    t_ref : Quantity[time] or float [ms], default 2 ms
        Refractory period $t_\mathrm{ref}$. Must be >= 0.
    E_L : Quantity[voltage] or float [mV], default -70 mV
        Resting potential $E_L$.
    V_reset : Quantity[voltage] or float [mV], default -70 mV
        Reset potential $V_\mathrm{reset}$. Must be < ``V_th``.
    V_th : Quantity[voltage] or float [mV], default -55 mV
        Spike threshold $V_\mathrm{th}$.
    V_min : Quantity[voltage] or float [mV], default -inf mV
        Lower bound $V_\mathrm{min}$ of $V$ (-inf: none). Must be < ``V_th``, not NaN.
    I_e : Quantity[current] or float [pA], default 0 pA
        Constant input current $I_e$ (no delay).
    tau_syn_ex, tau_syn_in : Quantity[time] or float [ms], default 2 ms
        Rise times $\tau_{\mathrm{syn},X}$ of the excitatory / inhibitory alpha currents.
        Must be > 0; equal to ``tau_m`` is fine.
    V_initializer : callable, Quantity or float [mV], default ``Constant(E_L)``
        Initial membrane potential (``None`` means ``E_L``).
    spk_fun : callable, default ``spikax.surrogate.ReluGrad()``
        Surrogate spike function; its forward must be $H(x)$ with $H(0) = 1$.
    name : str, optional
        Module name.

    Attributes
    ----------
    V : HiddenState[mV]
        Membrane potential (absolute; NEST's ``V_m``).
    dI_ex, I_ex, dI_in, I_in : HiddenState[pA/ms, pA]
        The alpha currents and their derivatives (``I_ex``, ``I_in`` are NEST's ``I_syn_*``).
    refractory_step_count, I_stim : ShortTermState[int, pA]
        Refractory steps left; the current that arrived in the previous step.
    last_spike_time, n_steps : ShortTermState[ms, int]
        ``t + dt`` of the last spike (-1e7 ms before any), with ``t`` from
        ``brainstate.environ`` if set, else ``n_steps * dt``; ``n_steps`` counts the updates
        since ``init_state``/``reset_state``.

    Notes
    -----
    Every parameter is a saiunit Quantity or a plain number in the NEST unit given above,
    a scalar or an array broadcastable to ``in_size``. Values are checked when the module
    is built (finite, NEST's ranges); a violation is a ``ValueError`` naming the parameter.

    One ``update(x)`` is one step of NEST's ``iaf_psc_alpha::update``:

    1. unless refractory, $V$ advances by the exact propagators of the linear system
       (:mod:`spikax.propagators`: $P_{30}$, $P_{33}$, and $P_{31}$, $P_{32}$ per current with
       NEST's branch logic at $\tau_\mathrm{syn} \approx \tau_m$) with the currents from
       before the step and $I_\mathrm{stim} + I_e$ held constant, then is clamped at
       $V_\mathrm{min}$; if refractory the count goes down by one and $V$ stays;
    2. both alpha currents advance, then $\dot I_X$ receives the weights of this step's delta
       inputs: every registered delta input (pA) is split elementwise by sign, positive
       parts go to the excitatory current and the rest to the inhibitory one (register
       coincident excitatory and inhibitory spikes as separate inputs, as NEST keeps them);
    3. spike if $V \ge V_\mathrm{th}$: $V \leftarrow V_\mathrm{reset}$, count
       $\leftarrow$ ``ceil(round(1000 t_ref) / round(1000 dt))`` (NEST's tic arithmetic);
    4. ``x`` plus the current inputs (callables evaluated at the old $V$) become
       $I_\mathrm{stim}$ for the next step (NEST's one-step buffer).

    The returned spike is ``spk_fun((V - V_th) / (V_th - V_reset))`` before the reset:
    exactly NEST's decision forward, a surrogate gradient backward; the reset passes
    gradients as ``LIF``'s hard reset does. A NEST current generator with delay $d$ maps to
    ``x`` at steps with $t_k \ge t_\mathrm{on} + d - h$, a spike at $t_s$ with delay $d$ to a
    delta input before the update at $t_k = t_s + d - h$. ``V_initializer`` defaults to
    $E_L$ (NEST keeps ``V_m = -70 mV`` when only ``E_L`` is changed). Validated against NEST
    3.10 (``tests/reference/nest_iaf_*.npz``, 8 scenarios): identical spikes, max
    $|\Delta V| = 8 \times 10^{-14}$ mV in float64 (tolerance $10^{-11}$); float32 (stable
    propagators, currents decayed as $y + (P_{11} - 1) y$): identical spikes, max
    $|\Delta V| = 6 \times 10^{-5}$ mV. Pure form: :func:`spikax.functional.iaf_psc_alpha_step`.

    Examples
    --------
    >>> import brainstate, saiunit as u
    >>> import spikax
    >>> with brainstate.environ.context(dt=0.1 * u.ms):
    ...     n = spikax.iaf_psc_alpha(3, I_e=[0.0, 450.0, 800.0] * u.pA)
    ...     n.init_state()
    ...     spikes = brainstate.transform.for_loop(lambda i: n.update(), u.math.arange(500))
    >>> spikes.sum(axis=0).tolist()
    [0.0, 2.0, 6.0]
    """

    def __init__(self, in_size, C_m=250.0 * u.pF, tau_m=10.0 * u.ms, t_ref=2.0 * u.ms,
                 E_L=-70.0 * u.mV, V_reset=-70.0 * u.mV, V_th=-55.0 * u.mV,
                 V_min=-np.inf * u.mV, I_e=0.0 * u.pA, tau_syn_ex=2.0 * u.ms,
                 tau_syn_in=2.0 * u.ms, V_initializer=None,
                 spk_fun: Callable = surrogate.ReluGrad(), name: str | None = None):
        super().__init__(in_size, spk_fun=spk_fun, name=name)

        par = self._nest_param
        pos = dict(lower=0.0, lower_open=True)
        self.C_m = par(C_m, "C_m", PF, **pos)
        self.tau_m = par(tau_m, "tau_m", MS, **pos)
        self.tau_syn_ex = par(tau_syn_ex, "tau_syn_ex", MS, **pos)
        self.tau_syn_in = par(tau_syn_in, "tau_syn_in", MS, **pos)
        self.t_ref = par(t_ref, "t_ref", MS, lower=0.0)
        self.E_L = par(E_L, "E_L", MV)
        self.V_reset = par(V_reset, "V_reset", MV)
        self.V_th = par(V_th, "V_th", MV)
        self.I_e = par(I_e, "I_e", PA)
        # V_min may be -inf (NEST's default, no bound); NaN and +inf are errors.
        V_min = np.asarray(V_min, dtype=float) if isinstance(V_min, list | tuple) else V_min
        vmin = self._internal(V_min, "V_min", MV, allow_bare=True)
        if is_concrete(vmin):
            vmin = np.asarray(vmin, dtype=float)
            if np.any(np.isnan(vmin) | (vmin == np.inf)):
                raise ValueError(f"iaf_psc_alpha: `V_min` must be a number or -inf mV (no "
                                 f"bound); got {V_min}.")
            par(np.where(vmin == -np.inf, 0.0, vmin), "V_min", MV)  # checks the shape
        self.V_min = V_min
        p = self._params()
        self._require_less(p.V_reset, p.V_th, "V_reset", "V_th")
        self._require_less(p.V_min, p.V_th, "V_min", "V_th")
        self.V_initializer = V_initializer

    def _params(self) -> IafPscAlphaParams:
        return IafPscAlphaParams(*(self._internal(getattr(self, f), f, unit, allow_bare=True)
                                   for f, unit in zip(IafPscAlphaParams._fields, _UNITS)))

    def _initial(self, batch_size):
        init = self.V_initializer
        if init is None:
            init = self._internal(self.E_L, "E_L", MV, allow_bare=True)
        if not callable(init):
            init = braintools.init.Constant(init if isinstance(init, u.Quantity) else
                                            u.math.asarray(init) * MV)
        V = self._init_value(init, MV, "V_initializer", batch_size)
        zeros = u.math.zeros(V.shape, dtype=V.dtype)
        H, S = brainstate.HiddenState, brainstate.ShortTermState
        return dict(V=(H, V), dI_ex=(H, zeros * _PA_MS), I_ex=(H, zeros * PA),
                    dI_in=(H, zeros * _PA_MS), I_in=(H, zeros * PA),
                    refractory_step_count=(S, jnp.zeros(V.shape, brainstate.environ.ditype())),
                    I_stim=(S, zeros * PA), **self._clock_states(V.shape, V.dtype))

    def get_spike(self, V=None):
        """Spike output ``spk_fun((V - V_th) / (V_th - V_reset))`` (default: the state ``V``)."""
        V = self._internal(self.V.value if V is None else V, "V", MV)
        p = self._params()
        return surrogate.crossing(self.spk_fun, V, p.V_th, p.V_th - p.V_reset)

    def _synaptic_weights(self, dtype):
        """``(w_ex, w_in)`` [pA]: every delta input split elementwise by sign (one-shot: popped)."""
        w_ex = w_in = jnp.zeros((), dtype)
        table = self._delta_inputs or {}
        for key in tuple(table):
            inp = table[key]
            w = inp() if callable(inp) else table.pop(key)
            w = jnp.asarray(self._internal(w, f"delta input {key!r}", PA), dtype)
            w_ex, w_in = w_ex + jnp.where(w > 0, w, 0.0), w_in + jnp.where(w > 0, 0.0, w)
        return w_ex, w_in

    def update(self, x=0.0 * u.pA):
        """One step ``dt``; ``x`` arrives now and is applied in the next step. Returns spikes."""
        dtype = self.V.value.dtype
        cast = lambda a: jnp.asarray(a, dtype)  # noqa: E731
        dt = cast(self.dt_ms())
        old = self._read_states(_STATES)
        drive = self._current_drive(x, PA, MV)
        x_now = drive(old["V"]) if callable(drive) else drive
        state, spike = iaf_psc_alpha_step(
            IafPscAlphaParams(*map(cast, self._params())), IafPscAlphaState(**old),
            cast(x_now), *self._synaptic_weights(dtype), dt, self.spk_fun)
        t = cast(self._now_ms(dt))
        self._write_states(_STATES, state, old)
        self._stamp_spikes(spike, t + dt)  # NEST stamps the end of the step
        return spike
