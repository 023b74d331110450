"""Leaky integrate-and-fire: ``LIFParams``, ``LIFState``, ``lif_step`` and the ``LIF`` module."""

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
from .._units import GOHM, MS, MV, PA
from ._common import exp_euler, reset_from_spike

__all__ = ["LIFParams", "LIFState", "lif_step", "lif_spike", "LIF"]


class LIFParams(NamedTuple):
    """Parameters of :class:`LIF` in internal units (plain floats or arrays)."""

    tau: jax.Array  # ms
    R: jax.Array  # GOhm (GOhm * pA = mV)
    V_rest: jax.Array  # mV
    V_reset: jax.Array  # mV
    V_th: jax.Array  # mV


class LIFState(NamedTuple):
    """State of :class:`LIF`."""

    V: jax.Array  # mV


def lif_spike(p: LIFParams, V, spk_fun: Callable = surrogate.relu_grad):
    r"""Spike output $\mathrm{spk\_fun}((V - V_\mathrm{th}) / (V_\mathrm{th} - V_\mathrm{reset}))$."""
    return surrogate.crossing(spk_fun, V, p.V_th, p.V_th - p.V_reset)


def lif_step(
    p: LIFParams,
    s: LIFState,
    I,
    dt,
    spk_fun: Callable = surrogate.relu_grad,
    soft_reset: bool = True,
    delta=0.0,
):
    """Advance :class:`LIF` by one step of ``dt`` ms. Returns ``(new_state, spike)``.

    Equations and step order: see :class:`LIF`. ``I`` is the external current in pA,
    either an array or a callable ``I(V)`` of the membrane potential (mV), whose
    derivative then enters the exponential-Euler Jacobian. ``delta`` (mV) is added after
    the integration. Pure: safe under ``jit``, ``vmap``, ``grad`` and ``lax.scan``.

    Examples
    --------
    >>> from spikax.functional import LIFParams, LIFState, lif_step
    >>> p = LIFParams(tau=5.0, R=1e-9, V_rest=0.0, V_reset=0.0, V_th=1.0)
    >>> s, spike = lif_step(p, LIFState(V=0.0), 1.5e9, 0.1)    # 1.5 mA for 0.1 ms
    >>> round(float(s.V), 6), float(spike)                      # 1.5 (1 - e^{-0.02}) mV
    (0.029702, 0.0)
    """
    V = jnp.asarray(s.V)
    V = reset_from_spike(V, lif_spike(p, V, spk_fun), p.V_th, p.V_reset, soft_reset)
    if callable(I):
        V = exp_euler(lambda v: (p.V_rest - v + p.R * I(v)) / p.tau, V, dt)
    else:
        # The exponential-Euler step V + dt phi(-dt/tau) (V_inf - V) / tau with its scalar
        # factors folded into one, -expm1(-dt/tau): a single multiply per neuron and step.
        V = V + (-jnp.expm1(-dt / p.tau)) * ((p.V_rest + p.R * I) - V)
    V = V + delta
    return LIFState(V), lif_spike(p, V, spk_fun)


class LIF(Neuron):
    r"""Leaky integrate-and-fire neuron (mirror of ``brainpy.state.LIF``).

    $$\tau \frac{dV}{dt} = -(V - V_\mathrm{rest}) + R\, I(t)$$

    The spike output is $s = \mathrm{spk\_fun}\big((V - V_\mathrm{th}) /
    (V_\mathrm{th} - V_\mathrm{reset})\big)$: its forward value is $H(V - V_\mathrm{th})$
    ($V \ge V_\mathrm{th}$ spikes) and its gradient is the surrogate's.

    Parameters
    ----------
    in_size : int or tuple of int
        Population shape.
    R : Quantity[resistance], default 1 ohm
        Membrane resistance $R$; ``R * I`` must be a voltage. Must be >= 0.
    tau : Quantity[time], default 5 ms
        Membrane time constant $\tau$. Must be > 0.
    V_th : Quantity[voltage], default 1 mV
        Firing threshold $V_\mathrm{th}$. Must be > ``V_reset``.
    V_reset : Quantity[voltage], default 0 mV
        Reset potential $V_\mathrm{reset}$.
    V_rest : Quantity[voltage], default 0 mV
        Resting potential $V_\mathrm{rest}$.
    V_initializer : callable or Quantity[voltage], default ``Constant(0 mV)``
        Initial membrane potential (a ``braintools.init`` initializer or a value).
    spk_fun : callable, default ``spikax.surrogate.ReluGrad()``
        Surrogate spike function.
    spk_reset : {'soft', 'hard'}, default 'soft'
        ``'soft'`` subtracts $V_\mathrm{th} - V_\mathrm{reset}$ (not $V_\mathrm{th}$, as
        brainpy's page says; its code subtracts the difference, and so do we);
        ``'hard'`` sets $V_\mathrm{reset}$ (the jump carries no gradient through $V$).
    name : str, optional
        Module name.

    Attributes
    ----------
    V : HiddenState[mV]
        Membrane potential, shape ``(batch?, *in_size)``.

    Notes
    -----
    Every parameter may be a scalar or an array broadcastable to ``in_size``
    (per-neuron values).

    One ``update(x)`` (``x`` in any current unit, default 0 mA) does, with $s_{k}$ the
    spike returned by the previous step:

    1. reset from the previous spike: $v = V_k - (c - V_\mathrm{reset})\,s_k$ with
       $c = V_\mathrm{th}$ (soft) or ``stop_gradient(V_k)`` (hard);
    2. exponential Euler over $\Delta t$ with $I(v) = x + \sum$ current inputs (callable
       inputs are evaluated at $v$ and their derivative enters the Jacobian); for a current
       held constant over the step this is the exact solution
       $V_{k+1} = V_\infty + (v - V_\infty) e^{-\Delta t/\tau}$, $V_\infty = V_\mathrm{rest} + RI$;
    3. add the delta inputs (mV jumps);
    4. return $s_{k+1}$ computed from the un-reset $V_{k+1}$ (which stays stored: the
       reset happens at the start of the next step, as in ``brainpy.state``).

    Validated against ``brainpy.state.LIF`` 2.9.0 traces (``tests/reference``): identical
    spikes, $|\Delta V| \le 10^{-10}$ mV in float64. Pure form:
    :func:`spikax.functional.lif_step`.

    Examples
    --------
    >>> import brainstate, saiunit as u
    >>> import spikax
    >>> with brainstate.environ.context(dt=0.1 * u.ms):
    ...     lif = spikax.LIF(10, tau=10 * u.ms, V_th=0.8 * u.mV)
    ...     lif.init_state(batch_size=1)
    ...     spikes = lif.update(x=1.5 * u.mA)
    >>> spikes.shape
    (1, 10)
    """

    def __init__(
        self,
        in_size,
        R=1.0 * u.ohm,
        tau=5.0 * u.ms,
        V_th=1.0 * u.mV,
        V_reset=0.0 * u.mV,
        V_rest=0.0 * u.mV,
        V_initializer: Callable = braintools.init.Constant(0.0 * u.mV),
        spk_fun: Callable = surrogate.ReluGrad(),
        spk_reset: str = "soft",
        name: str | None = None,
    ):
        super().__init__(in_size, spk_fun=spk_fun, spk_reset=spk_reset, name=name)
        self.R = self._param(R, "R", GOHM, lower=0.0)
        self.tau = self._param(tau, "tau", MS, lower=0.0, lower_open=True)
        self.V_th = self._param(V_th, "V_th", MV)
        self.V_reset = self._param(V_reset, "V_reset", MV)
        self.V_rest = self._param(V_rest, "V_rest", MV)
        p = self._params()
        self._require_less(p.V_reset, p.V_th, "V_reset", "V_th")
        self.V_initializer = V_initializer

    def _params(self) -> LIFParams:
        c = self._internal
        return LIFParams(tau=c(self.tau, "tau", MS), R=c(self.R, "R", GOHM),
                         V_rest=c(self.V_rest, "V_rest", MV),
                         V_reset=c(self.V_reset, "V_reset", MV), V_th=c(self.V_th, "V_th", MV))

    def _initial(self, batch_size):
        return dict(V=(brainstate.HiddenState,
                       self._init_value(self.V_initializer, MV, "V_initializer", batch_size)))

    def get_spike(self, V=None):
        """Spike output for ``V`` (default: the current state)."""
        V = self.V.value if V is None else V
        return lif_spike(self._params(), self._internal(V, "V", MV), self.spk_fun)

    def update(self, x=0.0 * u.mA):
        """Advance one step ``dt`` under external current ``x``; return the spikes."""
        v0 = self._internal(self.V.value, "V", MV)
        state, spike = lif_step(
            self._params(), LIFState(v0), self._current_drive(x, PA, MV), self.dt_ms(),
            self.spk_fun, self.spk_reset == "soft", self._delta_jump(MV))
        self.V.value = self._as_state(state.V, v0, MV)
        return spike
