"""The classic ``brainpy.neurons.GIF`` (Mihalas & Niebur 2009) as a brainstate module: ``GIF``.

The pure core (``GifClassicParams``, ``GifClassicState``, ``gif_classic_step``, the exact
propagator) is in ``_gif_classic_core.py``; the firing-pattern table in ``_gif_patterns.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import braintools
import brainstate
import jax
import jax.numpy as jnp
import saiunit as u

from .. import surrogate
from .._base import Neuron
from .._units import MS, MV
from ._gif_classic_core import (NOISE_TARGETS, GifClassicParams, GifClassicState,
                                gif_classic_method, gif_classic_propagator, gif_classic_step)

__all__ = ["GIF"]

MA, OHM, RATE = u.mA, u.ohm, u.kHz  # brainpy's units: mA, ohm (ohm * mA = mV), 1/ms
_UNITS = (MV, MV, MV, MV, OHM, MS, RATE, RATE, RATE, RATE, u.UNITLESS, u.UNITLESS, MA, MA, MS)
_STATES = dict(V=MV, I1=MA, I2=MA, V_th=MV, t_last_spike=MS)  # written back with a unit
_NOISE_UNITS = {"I1": MA / MS ** 0.5, "V": MV / MS ** 0.5}


class GIF(Neuron):
    r"""Generalized integrate-and-fire neuron (Mihalas & Niebur 2009), the classic
    ``brainpy.neurons.GIF`` of brainpy 2.x in the brainstate API.

    $$\frac{dI_j}{dt} = -k_j I_j \quad (j = 1, 2), \qquad
      \tau \frac{dV}{dt} = -(V - V_\mathrm{rest}) + R\,(I_1 + I_2 + I), \qquad
      \frac{d\theta}{dt} = a\,(V - V_\mathrm{rest}) - b\,(\theta - \theta_\infty)$$

    with $\theta$ the dynamic threshold (state ``V_th``). When $V \ge \theta$ the neuron
    spikes and, in the same step,

    $$I_j \leftarrow R_j I_j + A_j, \qquad V \leftarrow V_\mathrm{reset}, \qquad
      \theta \leftarrow \max(\theta_\mathrm{reset}, \theta).$$

    Parameters
    ----------
    in_size : int or tuple of int
        Population shape (``size`` is accepted as an alias, as in brainpy).
    V_rest, V_reset : Quantity[voltage] or float [mV], default -70 mV, -70 mV
        Resting potential $V_\mathrm{rest}$ and reset potential $V_\mathrm{reset}$.
    V_th_inf : Quantity[voltage] or float [mV], default -50 mV
        Target $\theta_\infty$ of the threshold relaxation (may lie below ``V_reset``, as in
        the hyperpolarization-induced patterns).
    V_th_reset : Quantity[voltage] or float [mV], default -60 mV
        Lower bound $\theta_\mathrm{reset}$ of the threshold after a spike.
    R : Quantity[resistance] or float [ohm], default 20 ohm
        Membrane resistance (>= 0); with currents in mA, $R I$ is in mV.
    tau : Quantity[time] or float [ms], default 20 ms
        Membrane time constant $\tau$ (> 0).
    a : Quantity[1/time] or float [1/ms], default 0 /ms
        Coupling of the threshold to the voltage (any sign).
    b : Quantity[1/time] or float [1/ms], default 0.01 /ms
        Relaxation rate of the threshold (>= 0).
    k1, k2 : Quantity[1/time] or float [1/ms], default 0.2 /ms, 0.02 /ms
        Decay rates of the internal currents $I_1$, $I_2$ (>= 0).
    R1, R2 : float, default 0, 1
        Multiplicative part of the current reset (dimensionless, any sign).
    A1, A2 : Quantity[current] or float [mA], default 0 mA, 0 mA
        Additive part of the current reset.
    V_initializer, I1_initializer, I2_initializer, Vth_initializer : callable, Quantity or float
        Initial $V$ (default -70 mV), $I_1$, $I_2$ (0 mA) and $\theta$ (-50 mV): a
        ``braintools.init`` initializer or a value (bare numbers in mV / mA).
    tau_ref : Quantity[time] or float [ms], default 0 ms
        Refractory period (>= 0): $V$ is held while $t - t_\mathrm{last} \le \tau_\mathrm{ref}$.
    ref_var : bool, default False
        Also keep the boolean state ``refractory``.
    noise : Quantity or float, optional
        Amplitude $\sigma$ of an additive white noise, in [target unit]/sqrt(ms): mA/sqrt(ms)
        on ``I1`` (default), mV/sqrt(ms) on ``V``. Scalar or per neuron (>= 0).
        **By default it drives I1, not V** (brainpy's choice): see Warnings.
    noise_target : {'I1', 'V'}, default 'I1'
        The variable ``noise`` drives (keyword only).
    method : {'exp_auto', 'exp_euler', 'euler', 'rk4', 'exact'}, default 'exp_auto'
        Sub-threshold integrator (see Notes); anything else is a ``ValueError``.
    input_var : bool, default True
        Keep the ``input`` state: ``update(x)`` adds ``x`` to it, uses it and clears it.
    spk_fun : callable, default ``spikax.surrogate.InvSquareGrad(alpha=100)``
        Spike function applied to $V - \theta$ (``spike_fun`` is accepted as an alias).
    spk_reset : {'hard', 'soft'}, default 'hard'
        'hard' sets $V_\mathrm{reset}$ (brainpy's forward); 'soft' subtracts
        $\theta - V_\mathrm{reset}$ (brainpy's training-mode formula).
    name : str, optional
        Module name.

    Attributes
    ----------
    V, V_th : HiddenState[mV]
        Membrane potential and dynamic threshold $\theta$.
    I1, I2 : HiddenState[mA]
        Internal currents.
    spike : ShortTermState[float]
        The last step's output (0/1 forward; brainpy stores a bool outside training mode).
    input : ShortTermState[mA]
        With ``input_var``: input accumulated for the next step (0 after every ``update``).
    t_last_spike, n_steps : ShortTermState[ms, int]
        Time of the last spike step (-1e8 ms before any, as brainpy 2.9; its docs say -1e7);
        number of updates since ``init_state``.
    refractory : ShortTermState[bool]
        With ``ref_var``: refractory at this step, or spiked.

    Warnings
    --------
    **A scalar ``noise`` drives the internal current $I_1$, not the membrane potential $V$**
    (models.md Q-8). This is what brainpy's classic GIF does: ``sdeint`` receives the
    diffusion ``(noise, None, None, None)`` in the ``JointEq`` order ``(I1, I2, V_th, V)``,
    so $dI_1 = -k_1 I_1\,dt + \sigma\,dW$ and the membrane only sees that current low-pass
    filtered ($\mathrm{Var}\,I_1 \to \sigma^2/(2k_1)$). The default
    ``noise_target='I1'`` keeps it for compatibility with brainpy scripts; for white noise
    on the membrane pass ``noise_target='V'`` ($\mathrm{Var}\,V \to \sigma^2\tau/2$
    without spikes), with $\sigma$ in mV/sqrt(ms). Random streams differ from brainpy's;
    only the statistics match. A callable ``noise`` is not supported.

    Notes
    -----
    Parameters are scalars or arrays broadcastable to ``in_size``, given as Quantities or as
    bare numbers in brainpy's units (mV, ms, 1/ms, ohm, mA); they must be finite and in the
    ranges above, else a ``ValueError`` names the parameter. The input ``x`` is a current
    Quantity or a bare number in mA.

    One ``update(x)`` at time $t$ (``brainstate.environ.get('t')``, else
    ``n_steps * dt``) is brainpy 2.9's ``GIF.update`` run by a ``DSRunner``:

    1. $I =$ ``input`` $+ x +$ current inputs, callables evaluated at the old $V$;
    2. $(I_1, I_2, \theta, V)$ advance over $\Delta t$ with $I$ held (scheme below);
    3. ``noise``: $X \mathrel{+}= \sigma\sqrt{\Delta t}\,\xi$, $\xi \sim N(0, 1)$ drawn from
       ``brainstate.random`` per neuron and batch row (Euler-Maruyama; reproducible with
       ``brainstate.random.seed``); then $V \mathrel{+}=$ delta inputs (mV);
    4. if $t - t_\mathrm{last} \le \tau_\mathrm{ref}$ (inclusive), $V$ keeps its old value;
       $I_1$, $I_2$, $\theta$ evolve on (unlike ``GifRef``, which holds all four);
    5. spike $s =$ ``spk_fun``$(V - \theta_\mathrm{old})$: compared with the threshold
       from *before* the step, forward $H(V - \theta_\mathrm{old})$ ($\ge$);
    6. reset in the same step (not at the next, as brainpy.state models do), each blended
       as $x + s\,(x_\mathrm{reset} - x)$ for the gradient, forward exactly
       $x_\mathrm{reset}$; $t_\mathrm{last} = t$; ``input`` is cleared.

    So a plain loop of ``update(x_k)`` reproduces ``DSRunner(GIF(...), inputs=[('input',
    x, 'iter')])``. Schemes: ``'exp_auto'`` (= ``'exp_euler'``, brainpy's default)
    advances each variable by $x + \Delta t\,\varphi(J\Delta t)\,f$ with its own rate $J$
    and the other variables at their old values: exact for each equation alone, first
    order for the coupled system. ``'euler'`` and ``'rk4'`` are the explicit schemes on
    the joint system, as brainpy's ``odeint`` generates them (orders 1 and 4).
    ``'exact'`` applies the matrix exponential of the linear system
    (:func:`spikax.functional.gif_classic_propagator`; with fixed parameters it is folded
    to a constant when traced), exact for an input held over the step. The noise is added
    after the deterministic step in every scheme (Euler-Maruyama for additive noise).

    Kept brainpy quirks (they define the classic model, models.md Q-7): the old-threshold
    comparison, the inclusive refractory test (a float comparison: use a ``tau_ref`` that
    is not a multiple of ``dt``), ``t_last_spike`` = -1e8 ms, the output not divided by
    $\theta - V_\mathrm{reset}$. Validated against ``brainpy.neurons.GIF`` 2.9.0 traces
    (``tests/reference/brainpy_classicgif_*.npz``: the five models.md rows, a mixed drive
    with ``ref_var``, current and delta inputs, ``'euler'``, ``'rk4'`` and training-mode
    soft/hard resets): identical spikes, $|\Delta V| \le 3.1 \cdot 10^{-13}$ mV in float64
    (tolerance $10^{-9}$). Pure form: :func:`spikax.functional.gif_classic_step`; the
    firing patterns of the paper: :data:`spikax.neurons.GIF_PATTERNS`.

    Examples
    --------
    >>> import brainstate, saiunit as u
    >>> import spikax
    >>> with brainstate.environ.context(dt=0.1 * u.ms):
    ...     n = spikax.GIF(2, a=0.005, A1=10.0, A2=-0.6)   # bare numbers: brainpy's units
    ...     n.init_state()
    ...     spikes = brainstate.transform.for_loop(lambda i: n.update(1.5), u.math.arange(500))
    >>> spikes.sum(axis=0).tolist()        # a burst of 7 spikes from 25 ms on
    [7.0, 7.0]
    """

    def __init__(self, in_size=None, V_rest=-70.0 * u.mV, V_reset=-70.0 * u.mV,
                 V_th_inf=-50.0 * u.mV, V_th_reset=-60.0 * u.mV, R=20.0 * u.ohm,
                 tau=20.0 * u.ms, a=0.0 / u.ms, b=0.01 / u.ms, k1=0.2 / u.ms, k2=0.02 / u.ms,
                 R1=0.0, R2=1.0, A1=0.0 * u.mA, A2=0.0 * u.mA,
                 V_initializer=braintools.init.Constant(-70.0 * u.mV),
                 I1_initializer=braintools.init.Constant(0.0 * u.mA),
                 I2_initializer=braintools.init.Constant(0.0 * u.mA),
                 Vth_initializer=braintools.init.Constant(-50.0 * u.mV),
                 tau_ref=0.0 * u.ms, ref_var: bool = False, noise=None,
                 method: str = "exp_auto", input_var: bool = True,
                 spk_fun: Callable | None = None, spk_reset: str = "hard",
                 name: str | None = None, *, size=None, spike_fun: Callable | None = None,
                 noise_target: str = "I1"):
        in_size = _alias(in_size, size, "in_size", "size", required=True)
        spk_fun = _alias(spk_fun, spike_fun, "spk_fun", "spike_fun")
        spk_fun = surrogate.InvSquareGrad(alpha=100.0) if spk_fun is None else spk_fun
        super().__init__(in_size, spk_fun=spk_fun, spk_reset=spk_reset, name=name)
        P = self._nest_param  # Quantities, or bare numbers in brainpy's units
        nonneg = dict(lower=0.0)
        self.V_rest, self.V_reset = P(V_rest, "V_rest", MV), P(V_reset, "V_reset", MV)
        self.V_th_inf = P(V_th_inf, "V_th_inf", MV)
        self.V_th_reset = P(V_th_reset, "V_th_reset", MV)
        self.R = P(R, "R", OHM, **nonneg)
        self.tau = P(tau, "tau", MS, lower=0.0, lower_open=True)
        self.a, self.b = P(a, "a", RATE), P(b, "b", RATE, **nonneg)
        self.k1, self.k2 = P(k1, "k1", RATE, **nonneg), P(k2, "k2", RATE, **nonneg)
        self.R1, self.R2 = P(R1, "R1", u.UNITLESS), P(R2, "R2", u.UNITLESS)
        self.A1, self.A2 = P(A1, "A1", MA), P(A2, "A2", MA)
        self.tau_ref = P(tau_ref, "tau_ref", MS, **nonneg)
        self.method, self._scheme = method, gif_classic_method(method)
        if noise_target not in NOISE_TARGETS:
            raise ValueError(f"GIF: `noise_target` must be one of {NOISE_TARGETS}; "
                             f"got {noise_target!r}.")
        if callable(noise):
            raise TypeError("GIF: a callable `noise` (brainpy's per-variable diffusion "
                            "function) is not supported; give sigma as a number or Quantity "
                            "and choose the variable with `noise_target`.")
        self.noise_target = noise_target
        self.noise = None if noise is None else P(noise, "noise", _NOISE_UNITS[noise_target],
                                                  **nonneg)
        self.V_initializer, self.Vth_initializer = V_initializer, Vth_initializer
        self.I1_initializer, self.I2_initializer = I1_initializer, I2_initializer
        self.ref_var, self.input_var = bool(ref_var), bool(input_var)
        self._params()  # every field converts now, not at the first update

    def _params(self) -> GifClassicParams:
        return GifClassicParams(*(self._internal(getattr(self, f), f, unit, allow_bare=True)
                                  for f, unit in zip(GifClassicParams._fields, _UNITS)))

    def _start(self, init, unit, name, batch_size):
        if not callable(init):
            init = braintools.init.Constant(init if isinstance(init, u.Quantity) else
                                            u.math.asarray(init) * unit)
        value = braintools.init.param(init, self.varshape, batch_size)
        x = self._internal(value, name, unit, allow_bare=True)
        return u.math.asarray(x, dtype=brainstate.environ.dftype()) * unit

    def _initial(self, batch_size):
        H, S = brainstate.HiddenState, brainstate.ShortTermState
        V = self._start(self.V_initializer, MV, "V_initializer", batch_size)
        init = dict(V=(H, V),
                    I1=(H, self._start(self.I1_initializer, MA, "I1_initializer", batch_size)),
                    I2=(H, self._start(self.I2_initializer, MA, "I2_initializer", batch_size)),
                    V_th=(H, self._start(self.Vth_initializer, MV, "Vth_initializer",
                                         batch_size)))
        zeros = jnp.zeros(V.shape, dtype=V.dtype)
        init.update(spike=(S, zeros), t_last_spike=(S, (zeros - 1e8) * MS),
                    n_steps=(S, jnp.zeros((), brainstate.environ.ditype())))
        if self.input_var:
            init["input"] = (S, zeros * MA)
        if self.ref_var:
            init["refractory"] = (S, jnp.zeros(V.shape, bool))
        return init

    def clear_input(self):
        """Set the ``input`` state to zero (``update`` does this itself after each step)."""
        if self.input_var:
            self.input.value = u.math.zeros_like(self.input.value)

    def _independent_neurons(self) -> bool:
        return self.noise is None  # the noise draws from brainstate's global random key

    def get_spike(self, V=None, V_th=None):
        """``spk_fun(V - V_th)`` (default: the current states)."""
        V = self._internal(self.V.value if V is None else V, "V", MV, allow_bare=True)
        th = self._internal(self.V_th.value if V_th is None else V_th, "V_th", MV,
                            allow_bare=True)
        return surrogate.crossing(self.spk_fun, V, th)

    def update(self, x=None):
        """Advance one step ``dt`` under the current ``x`` (added to ``input`` when
        ``input_var``); return the spikes."""
        dtype = self.V.value.dtype
        cast = lambda a: jnp.asarray(a, dtype)  # noqa: E731
        dt = cast(self.dt_ms())
        spec = dict(_STATES)
        old = self._read_states(spec)
        I = 0.0 if x is None else self._internal(x, "x", MA, allow_bare=True)
        if self.input_var:
            spec["input"] = MA
            old["input"] = self._internal(self.input.value, "input", MA, allow_bare=True)
            I = old["input"] + I
        drive = self._current_drive(0.0 * MA, MA, MV)  # current inputs at the old V
        I = I + (drive(old["V"]) if callable(drive) else drive)
        noise = 0.0
        if self.noise is not None:
            sigma = self._internal(self.noise, "noise", _NOISE_UNITS[self.noise_target],
                                   allow_bare=True)
            noise = cast(sigma) * jnp.sqrt(dt) * brainstate.random.randn(*old["V"].shape,
                                                                         dtype=dtype)
        p = GifClassicParams(*map(cast, self._params()))
        prop = None
        if self._scheme == "exact":
            with jax.ensure_compile_time_eval():  # folded to a constant for fixed parameters
                prop = gif_classic_propagator(p, dt)
        refr = self.refractory.value if self.ref_var else False
        s = GifClassicState(old["V"], old["I1"], old["I2"], old["V_th"], old["t_last_spike"],
                            refr)
        state, spike = gif_classic_step(
            p, s, cast(I), dt, cast(self._now_ms(dt)), method=self._scheme,
            spk_fun=self.spk_fun, soft_reset=self.spk_reset == "soft",
            delta=cast(self._delta_jump(MV)), noise=noise, noise_target=self.noise_target,
            propagator=prop)
        new = state._asdict()
        if self.input_var:
            new["input"] = jnp.zeros_like(old["input"])
        self._write_states(spec, new, old)  # checks every shape before writing
        self.spike.value = jnp.asarray(spike, dtype)
        if self.ref_var:
            self.refractory.value = state.refractory
        self.n_steps.value = self.n_steps.value + 1
        return spike


def _alias(value, alias, name, alias_name, required=False):
    """``value`` or its brainpy alias (not both)."""
    if alias is not None:
        if value is not None:
            raise TypeError(f"GIF: give `{name}` or its alias `{alias_name}`, not both.")
        return alias
    if required and value is None:
        raise TypeError(f"GIF: missing the population shape `{name}` (or `{alias_name}`).")
    return value
