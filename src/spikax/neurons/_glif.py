r"""GLIF with double-alpha PSCs: ``GlifParams``, ``GlifState``, ``glif_step`` and the
``glif_psc_double_alpha`` module (NEST 3.10's model of the same name)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

import braintools
import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import saiunit as u

from .. import propagators, surrogate
from .._base import UNLABELLED, Neuron
from .._units import MS, MV, NS, PA, PF, check_values, to_internal
from ._common import nest_refractory_steps
from ._glif_parts import (
    FLAGS,
    asc_constants,
    asc_mean_and_decay,
    blend_reset,
    check_asc_params,
    check_flags,
    check_threshold_params,
    decay,
    strict_spike,
    theta_spike_constants,
    theta_voltage_constants,
    theta_voltage_step,
)
from ._psc import alpha_psc, alpha_psc_advance, alpha_psc_to_membrane

__all__ = ["GlifParams", "GlifState", "glif_init_state", "glif_step", "glif_spike",
           "glif_psc_double_alpha"]

PER_MS = u.kHz  # 1/ms
ONE = u.UNITLESS


class GlifParams(NamedTuple):
    """Parameters of :class:`glif_psc_double_alpha` in NEST's internal units.

    Defaults are NEST's (GLIF5 fit of Allen cell 490626718). Vector fields carry one
    entry per after-spike current (``asc_*``) or per receptor (``tau_syn_*``,
    ``amp_slow``) on the last axis.
    """

    g: jax.Array = 9.43  # nS, leak conductance G
    E_L: jax.Array = -78.85  # mV, resting potential (absolute)
    th_inf: jax.Array = -51.68 + 78.85  # mV, instantaneous threshold V_th - E_L
    C_m: jax.Array = 58.72  # pF
    t_ref: jax.Array = 3.75  # ms
    V_reset: jax.Array = 0.0  # mV, V_reset - E_L (GLIF1/3)
    th_spike_add: jax.Array = 0.37  # mV, added to theta_s at a spike
    th_spike_decay: jax.Array = 0.009  # 1/ms, b_s
    voltage_reset_fraction: jax.Array = 0.20  # 1, f_v
    voltage_reset_add: jax.Array = 18.51  # mV, V_add
    th_voltage_index: jax.Array = 0.005  # 1/ms, a_v
    th_voltage_decay: jax.Array = 0.09  # 1/ms, b_v
    asc_init: jax.Array = (0.0, 0.0)  # pA, initial after-spike currents
    asc_decay: jax.Array = (0.003, 0.1)  # 1/ms, k_j
    asc_amps: jax.Array = (-9.18, -198.94)  # pA, Delta I_j
    asc_r: jax.Array = (1.0, 1.0)  # 1, r_j
    tau_syn_fast: jax.Array = (2.0,)  # ms, one per receptor
    tau_syn_slow: jax.Array = (6.0,)  # ms
    amp_slow: jax.Array = (0.3,)  # 1
    I_e: jax.Array = 0.0  # pA, constant current (not delayed; not a NEST parameter)


class GlifState(NamedTuple):
    """State of :class:`glif_psc_double_alpha` (the step works relative to ``E_L`` inside)."""

    V: jax.Array  # mV, membrane potential (absolute)
    threshold: jax.Array  # mV, total threshold E_L + th_inf + theta_s + theta_v (absolute)
    threshold_spike: jax.Array  # mV, theta_s
    threshold_voltage: jax.Array  # mV, theta_v
    ASCurrents: jax.Array  # pA, (..., n_asc)
    y1_fast: jax.Array  # pA/ms, (..., n_receptors)
    y2_fast: jax.Array  # pA
    y1_slow: jax.Array  # pA/ms
    y2_slow: jax.Array  # pA
    refractory_step_count: jax.Array  # int, refractory steps left
    I_stim: jax.Array  # pA, external current arrived last step (used by the next one)


def glif_init_state(p: GlifParams, shape=(), V=None, dtype=None) -> GlifState:
    """NEST's initial state for a population of ``shape``: at rest unless ``V`` (mV) is given."""
    dtype = jnp.result_type(float) if dtype is None else dtype
    z = jnp.zeros(shape, dtype)
    zr = jnp.zeros((*shape, np.shape(p.tau_syn_fast)[-1]), dtype)
    return GlifState(
        V=z + jnp.asarray(p.E_L if V is None else V, dtype),
        threshold=z + jnp.asarray(p.th_inf + jnp.asarray(p.E_L), dtype),
        threshold_spike=z, threshold_voltage=z,
        ASCurrents=jnp.zeros((*shape, np.shape(p.asc_init)[-1]), dtype) + jnp.asarray(
            p.asc_init, dtype),
        y1_fast=zr, y2_fast=zr, y1_slow=zr, y2_slow=zr,
        refractory_step_count=jnp.zeros(shape, jnp.int32), I_stim=z)


def glif_spike(p: GlifParams, V, threshold, spk_fun: Callable = surrogate.relu_grad):
    r"""Spike output $[V > \theta]$ (NEST's strict test, compared relative to $E_L$) with the
    gradient of $\mathrm{spk\_fun}((V - \theta)/(V_\mathrm{th} - V_\mathrm{reset}))$;
    ``V`` and ``threshold`` absolute [mV]."""
    p = GlifParams(*(jnp.asarray(x) for x in p))
    spiked, tangent = strict_spike(jnp.asarray(V) - p.E_L, jnp.asarray(threshold) - p.E_L,
                                   p.th_inf - p.V_reset, spk_fun)
    return spiked.astype(tangent.dtype) + tangent


def _ax(x):
    """A per-neuron parameter with a trailing axis, to meet per-receptor/per-ASC vectors."""
    return jnp.asarray(x)[..., None]


def _add_in_order(total, terms):
    """``total + terms[..., 0] + terms[..., 1] + ...`` (NEST's summation order)."""
    for i in range(terms.shape[-1]):
        total = total + terms[..., i]
    return total


def glif_step(
    p: GlifParams,
    s: GlifState,
    I=0.0,
    w=0.0,
    dt=0.1,
    spike_dependent_threshold: bool = False,
    after_spike_currents: bool = False,
    adapting_threshold: bool = False,
    spk_fun: Callable = surrogate.relu_grad,
    soft_reset: bool = False,
):
    """Advance :class:`glif_psc_double_alpha` by one NEST step of ``dt`` ms.

    Equations and step order: see :class:`glif_psc_double_alpha`. ``I`` [pA] is the
    external current arriving in this step; it is stored in ``I_stim`` and drives the
    membrane in the *next* step (NEST's ring buffer), while ``p.I_e`` acts at once. ``w``
    [pA] are the synaptic weights arriving in this step, one per receptor on the last axis;
    they enter the currents at the end of the step. The three flags select GLIF1-5 (they
    are Python bools). Returns ``(new_state, spike)``; the spike is exactly ``U > threshold``
    in the forward pass and carries the gradient of ``spk_fun``. With ``soft_reset`` that
    gradient also flows into the reset jumps. Pure: safe under ``jit``, ``vmap``, ``grad``
    and ``lax.scan``.

    Examples
    --------
    >>> from spikax.functional import GlifParams, glif_init_state, glif_step
    >>> p = GlifParams()                                   # NEST defaults (GLIF1 flags)
    >>> s = glif_init_state(p)
    >>> s, spike = glif_step(p, s, I=600.0, dt=0.1)        # 600 pA arrives: used next step
    >>> s, spike = glif_step(p, s, I=600.0, dt=0.1)
    >>> round(float(s.V - p.E_L), 4), float(spike)         # 600 (1 - e^{-0.1 g/C}) / g mV
    (1.0136, 0.0)
    """
    p = GlifParams(*(jnp.asarray(x) for x in p))
    V0 = jnp.asarray(s.V)
    dtype = V0.dtype
    U0 = V0 - p.E_L  # NEST integrates U = V - E_L
    nest_ops = dtype == jnp.float64
    tau_m = jnp.asarray(p.C_m) / jnp.asarray(p.g)
    P33, P30 = propagators.membrane_propagators(tau_m, p.C_m, dt)
    fast = alpha_psc(p.tau_syn_fast, _ax(tau_m), _ax(p.C_m), dt)
    slow = alpha_psc(p.tau_syn_slow, _ax(tau_m), _ax(p.C_m), dt)
    slow = slow._replace(jump=slow.jump * p.amp_slow)

    # -- not refractory: thresholds and ASCs decay, the membrane integrates -----------------
    ths = s.threshold_spike
    if spike_dependent_threshold:
        ths_decay, ths_decay_m1, ths_decay_ref = theta_spike_constants(p.th_spike_decay,
                                                                        p.t_ref, dt)
        ths = decay(ths, ths_decay, ths_decay_m1, nest_ops=nest_ops)
    asc = s.ASCurrents
    drive = s.I_stim + p.I_e
    if after_spike_currents:
        ac = asc_constants(p.asc_decay, p.asc_r, p.t_ref, dt, nest_ops=nest_ops)
        asc_sum, asc = asc_mean_and_decay(ac, asc, nest_ops=nest_ops)
        drive = drive + asc_sum
    syn_fast = alpha_psc_to_membrane(fast, s.y1_fast, s.y2_fast)
    syn_slow = alpha_psc_to_membrane(slow, s.y1_slow, s.y2_slow)
    if nest_ops:  # NEST's operations in NEST's order: the new U itself
        mem = _add_in_order(_add_in_order(U0 * P33 + drive * P30, syn_fast), syn_slow)
    else:  # the small increment dU first, then one rounding at the scale of V
        mem = _add_in_order(_add_in_order(
            U0 * propagators.decay_expm1(tau_m, dt) + drive * P30, syn_fast), syn_slow)
    thv = s.threshold_voltage
    if adapting_threshold:
        tvc = theta_voltage_constants(p.g, p.C_m, p.th_voltage_index, p.th_voltage_decay, dt)
        thv = theta_voltage_step(tvc, thv, U0, drive / p.g, nest_ops=nest_ops)

    # XLA (CPU) fuses each state the step writes on its own and would recompute these
    # candidates, and the spike test below, inside every one of those fusions, and copy
    # every state each step to keep its old value alive for them. Materialise them once
    # instead, and pass the old states along the same barriers so that every read of an
    # old state comes before the writes of the new ones (GLIF5, float32: 3.1e8 -> 5e8
    # neuron-steps/s in tiles; the barrier on U alone gave 2.3x over none before that).
    I_stim = jnp.asarray(I + jnp.zeros_like(V0)).astype(dtype)  # read by the next step
    mem, ths, thv, asc, s, I_stim = jax.lax.optimization_barrier(
        (mem, ths, thv, asc, s, I_stim))
    refr = s.refractory_step_count > 0
    U = mem if nest_ops else (s.V - p.E_L) + mem
    spiked, tangent = strict_spike(U, ths + thv + p.th_inf, p.th_inf - p.V_reset, spk_fun)
    spiked, refr, s = jax.lax.optimization_barrier((spiked & ~refr, refr, s))
    U0 = s.V - p.E_L
    V = mem + p.E_L if nest_ops else s.V + mem  # one rounding at the scale of V
    tangent = jnp.where(refr, jnp.zeros_like(tangent), tangent)

    # -- spike and reset --------------------------------------------------------------------
    if spike_dependent_threshold:
        U_reset = p.voltage_reset_fraction * U0 + p.voltage_reset_add
        ths = blend_reset(spiked, tangent, ths * ths_decay_ref + p.th_spike_add, ths,
                          soft_reset)
    else:
        U_reset = p.V_reset
    V = blend_reset(spiked, tangent, U_reset + p.E_L, V, soft_reset)
    if after_spike_currents:
        asc = blend_reset(spiked[..., None], tangent[..., None],
                          p.asc_amps + asc * ac.refractory, asc, soft_reset)
    count = jnp.where(refr, s.refractory_step_count - 1,
                      jnp.where(spiked, nest_refractory_steps(p.t_ref, dt), 0))

    # -- refractory: V, thresholds and ASCs are held -----------------------------------------
    m1 = (lambda tau: None) if nest_ops else (lambda tau: propagators.decay_expm1(tau, dt))
    y1_fast, y2_fast = alpha_psc_advance(fast, s.y1_fast, s.y2_fast, w,
                                         P11_m1=m1(p.tau_syn_fast))
    y1_slow, y2_slow = alpha_psc_advance(slow, s.y1_slow, s.y2_slow, w,
                                         P11_m1=m1(p.tau_syn_slow))
    ths = jnp.where(refr, s.threshold_spike, ths)
    thv = jnp.where(refr, s.threshold_voltage, thv)

    def out(x):
        return jnp.asarray(x).astype(dtype)

    new = GlifState(
        V=out(jnp.where(refr, s.V, V)),
        # the total threshold of the new components (held ones while refractory)
        threshold=out(ths + thv + p.th_inf + p.E_L),
        threshold_spike=out(ths),
        threshold_voltage=out(thv),
        ASCurrents=out(jnp.where(refr[..., None], s.ASCurrents, asc)),
        # synaptic currents advance every step; this step's weights arrive at its end
        y1_fast=out(y1_fast), y2_fast=out(y2_fast), y1_slow=out(y1_slow), y2_slow=out(y2_slow),
        refractory_step_count=count.astype(jnp.asarray(s.refractory_step_count).dtype),
        I_stim=I_stim,
    )
    return new, spiked.astype(dtype) + tangent.astype(dtype)


# ------------------------------------------------------------------------------------------
# the module
# ------------------------------------------------------------------------------------------

_SCALARS = {"g": NS, "E_L": MV, "V_th": MV, "C_m": PF, "t_ref": MS, "V_reset": MV,
            "th_spike_add": MV, "th_spike_decay": PER_MS, "voltage_reset_fraction": ONE,
            "voltage_reset_add": MV, "th_voltage_index": PER_MS, "th_voltage_decay": PER_MS,
            "I_e": PA}
_VECTORS = {"asc_init": PA, "asc_decay": PER_MS, "asc_amps": PA, "asc_r": ONE,
            "tau_syn_fast": MS, "tau_syn_slow": MS, "amp_slow": ONE}
_PA_MS = PA / MS
_STATES = dict(V=MV, threshold=MV, threshold_spike=MV, threshold_voltage=MV, ASCurrents=PA,
               y1_fast=_PA_MS, y2_fast=PA, y1_slow=_PA_MS, y2_slow=PA,
               refractory_step_count=None, I_stim=PA)  # GlifState's fields and their units
_RECEPTOR = re.compile(r"receptor_(\d+)")


class glif_psc_double_alpha(Neuron):
    r"""Generalized leaky integrate-and-fire neuron (GLIF1-5) with double-alpha synaptic
    currents: NEST 3.10's ``glif_psc_double_alpha`` [1]_ [2]_.

    Three switches add mechanisms to a leaky membrane, giving the five GLIF variants:

    | variant | `spike_dependent_threshold` | `after_spike_currents` | `adapting_threshold` |
    | --- | --- | --- | --- |
    | GLIF1 (LIF) | False | False | False |
    | GLIF2 (LIF_R) | True | False | False |
    | GLIF3 (LIF_ASC) | False | True | False |
    | GLIF4 (LIF_R_ASC) | True | True | False |
    | GLIF5 (LIF_R_ASC_A) | True | True | True |

    With $U = V - E_L$, after-spike currents $I_j$ (GLIF3/4/5), a spike component
    $\theta_s$ (GLIF2/4/5) and a voltage component $\theta_v$ (GLIF5) of the threshold:

    $$C_m \frac{dU}{dt} = -g\,U + I_e + I_\mathrm{stim}(t) + \sum_j I_j
      + \sum_k \left(I^\mathrm{f}_k + I^\mathrm{s}_k\right)$$

    $$\frac{dI_j}{dt} = -k_j I_j, \qquad \frac{d\theta_s}{dt} = -b_s\theta_s, \qquad
      \frac{d\theta_v}{dt} = a_v U - b_v \theta_v$$

    Each receptor $k$ has a fast and a slow alpha current, $I^c_k = y^c_{2,k}$ with
    $\dot y^c_{1,k} = -y^c_{1,k}/\tau^c_k$, $\dot y^c_{2,k} = y^c_{1,k} - y^c_{2,k}/\tau^c_k$;
    a spike of weight $w$ [pA] adds $w\,e/\tau^\mathrm{f}_k$ to $y^\mathrm{f}_{1,k}$ and
    $\mathrm{amp\_slow}_k\,w\,e/\tau^\mathrm{s}_k$ to $y^\mathrm{s}_{1,k}$, so that

    $$I_k(t) = w\,\frac{t}{\tau^\mathrm{f}_k}e^{1 - t/\tau^\mathrm{f}_k}
      + \mathrm{amp\_slow}_k\,w\,\frac{t}{\tau^\mathrm{s}_k}e^{1 - t/\tau^\mathrm{s}_k}$$

    peaks at $w$ (fast part, $t = \tau^\mathrm{f}_k$) and $\mathrm{amp\_slow}_k\,w$ (slow
    part, $t = \tau^\mathrm{s}_k$). The neuron spikes when $U > \theta = \theta_\infty +
    \theta_s + \theta_v$ ($\theta_\infty = V_\mathrm{th} - E_L$, strict comparison), then

    $$U \leftarrow \begin{cases} V_\mathrm{reset} - E_L & \text{GLIF1/3} \\
      f_v U_0 + V_\mathrm{add} & \text{GLIF2/4/5} \end{cases}, \qquad
      \theta_s \leftarrow \theta_s e^{-b_s t_\mathrm{ref}} + \Delta\theta_s, \qquad
      I_j \leftarrow \Delta I_j + r_j e^{-k_j t_\mathrm{ref}} I_j$$

    ($U_0$: the potential at the start of the step) and $U$, $\theta_s$, $\theta_v$ and
    the $I_j$ are held for $t_\mathrm{ref}$ while the synaptic currents go on.

    | parameter | default | unit | symbol | constraint (checked at construction) |
    | --- | --- | --- | --- | --- |
    | `g` | 9.43 | nS | $g$ | > 0 |
    | `E_L` | -78.85 | mV | $E_L$ | finite |
    | `V_th` | -51.68 | mV | $E_L + \theta_\infty$ | > `V_reset` |
    | `C_m` | 58.72 | pF | $C_m$ | > 0 |
    | `t_ref` | 3.75 | ms | $t_\mathrm{ref}$ | > 0 |
    | `V_reset` | -78.85 | mV | $V_\mathrm{reset}$ (GLIF1/3) | < `V_th` |
    | `th_spike_add` | 0.37 | mV | $\Delta\theta_s$ | |
    | `th_spike_decay` | 0.009 | 1/ms | $b_s$ | > 0 (GLIF2/4/5) |
    | `voltage_reset_fraction` | 0.20 | 1 | $f_v$ | in [0, 1] (GLIF2/4/5) |
    | `voltage_reset_add` | 18.51 | mV | $V_\mathrm{add}$ | |
    | `th_voltage_index` | 0.005 | 1/ms | $a_v$ | |
    | `th_voltage_decay` | 0.09 | 1/ms | $b_v$ | > 0, $\ne g/C_m$ (GLIF5) |
    | `asc_init` | (0, 0) | pA | $I_j(0)$ | same length as `asc_decay` (GLIF3/4/5) |
    | `asc_decay` | (0.003, 0.1) | 1/ms | $k_j$ | each > 0 (GLIF3/4/5) |
    | `asc_amps` | (-9.18, -198.94) | pA | $\Delta I_j$ | same length (GLIF3/4/5) |
    | `asc_r` | (1, 1) | 1 | $r_j$ | each in [0, 1], same length (GLIF3/4/5) |
    | `tau_syn_fast` | (2,) | ms | $\tau^\mathrm{f}_k$ | each > 0; length = number of receptors |
    | `tau_syn_slow` | (6,) | ms | $\tau^\mathrm{s}_k$ | each > 0, same length |
    | `amp_slow` | (0.3,) | 1 | $\mathrm{amp\_slow}_k$ | each > 0, same length |
    | `I_e` | 0 | pA | $I_e$ | finite (not a NEST parameter) |

    All names are NEST's (``nest.Create('glif_psc_double_alpha', params={...})`` takes the
    same dictionary, in the same units). Mechanism parameters are checked only when their
    mechanism is on, as in NEST.

    Parameters
    ----------
    in_size : int or tuple of int
        Population shape.
    g, E_L, V_th, C_m, t_ref, V_reset : Quantity or float
        Leak conductance [nS], resting potential [mV], instantaneous threshold (absolute)
        [mV], capacitance [pF], refractory period [ms] and reset potential (absolute, GLIF1/3)
        [mV]; defaults and constraints in the table above.
    th_spike_add, th_spike_decay, voltage_reset_fraction, voltage_reset_add : Quantity or float
        GLIF2/4/5: threshold jump $\Delta\theta_s$ [mV], its decay rate $b_s$ [1/ms], and the
        voltage reset $U \leftarrow f_v U_0 + V_\mathrm{add}$ ($f_v$ dimensionless,
        $V_\mathrm{add}$ [mV], relative to $E_L$).
    th_voltage_index, th_voltage_decay : Quantity or float
        GLIF5: $a_v$ and $b_v$ [1/ms] of the voltage component of the threshold.
    asc_init, asc_decay, asc_amps, asc_r : sequence or array, Quantity or float
        GLIF3/4/5: per after-spike current $j$ (last axis): initial value [pA], decay rate
        $k_j$ [1/ms], jump $\Delta I_j$ [pA] and fraction $r_j$ kept through a spike.
    tau_syn_fast, tau_syn_slow, amp_slow : sequence or array, Quantity or float
        Per receptor $k$ (last axis): fast and slow alpha time constants [ms] and the slow
        amplitude relative to the fast one.
    spike_dependent_threshold, after_spike_currents, adapting_threshold : bool, default False
        The mechanism switches (GLIF1 when all are off); see the table above.
    I_e : Quantity or float, default 0 pA
        Constant current [pA], applied without delay. Not a NEST parameter (0 reproduces
        NEST).
    gsl_error_tol : float, default 1e-6
        Accepted for API compatibility and checked to be > 0; unused (exact integration).
    V_initializer : callable, Quantity or float [mV], optional
        Initial membrane potential (absolute); ``None`` (default) means ``E_L`` (NEST's
        ``V_m``).
    spk_fun : callable, default ``spikax.surrogate.ReluGrad()``
        Surrogate spike function, applied to $(U - \theta)/(V_\mathrm{th} - V_\mathrm{reset})$;
        only its gradient is used (the forward value is always NEST's $U > \theta$).
    spk_reset : {'hard', 'soft'}, default 'hard'
        Gradient of the reset only; the forward reset is always NEST's. ``'hard'``: the
        reset jumps carry no surrogate gradient (as a detached reset); ``'soft'``: they
        do, as if each reset were $x + (x_\mathrm{reset} - x)\,s$.
    name : str, optional
        Module name.

    Attributes
    ----------
    V : HiddenState[mV]
        Membrane potential (absolute; NEST's ``V_m``).
    threshold : HiddenState[mV]
        Total threshold $E_L + \theta_\infty + \theta_s + \theta_v$ (NEST's ``threshold``).
    threshold_spike, threshold_voltage : HiddenState[mV]
        $\theta_s$ and $\theta_v$ (NEST's recordables of the same names).
    ASCurrents : HiddenState[pA]
        The after-spike currents, shape ``(*V.shape, len(asc_decay))``.
    y1_fast, y2_fast, y1_slow, y2_slow : HiddenState[pA/ms, pA]
        The alpha currents per receptor, shape ``(*V.shape, n_receptors)``.
    refractory_step_count : ShortTermState[int]
        Refractory steps left.
    I_stim : ShortTermState[pA]
        The external current that arrived in the previous step, applied in this one.
    last_spike_time : ShortTermState[ms]
        ``t + dt`` of the last spike (NEST's spike stamp), -1e7 ms before any. ``t`` is
        ``brainstate.environ.get('t')`` when set, else ``n_steps * dt``.
    n_steps : ShortTermState[int]
        Updates since ``init_state``/``reset_state``.

    Notes
    -----
    Every float-typed parameter is a saiunit Quantity or a plain number in the unit above
    (NEST's), a scalar or an array broadcastable to ``in_size``; the vector parameters may
    also be per-neuron arrays of shape ``(*in_size, n)``.

    **Scheme.** Exact integration on the time grid, NEST's ``update`` step by step (the
    ASC enter as their exact mean over the step, $\theta_v$ as the exact solution for $U$
    relaxing to $\beta = (I_e + I_\mathrm{stim} + \sum_j \bar I_j)/g$). One ``update(x)``:

    1. unless refractory: $\theta_s \leftarrow \theta_s e^{-b_s h}$;
       $\bar I = \sum_j I_j (1 - e^{-k_j h})/(k_j h)$, $I_j \leftarrow I_j e^{-k_j h}$;
       $U \leftarrow P_{33} U_0 + P_{30}(I_e + I_\mathrm{stim} + \bar I) + \sum_{k,c}
       (P^c_{31,k} y^c_{1,k} + P^c_{32,k} y^c_{2,k})$ with the currents from before the
       step (:mod:`spikax.propagators`, NEST's branch logic at $\tau^c_k \approx \tau_m
       = C_m/g$); $\theta_v$ advances; if $U > \theta$: spike and the resets above, and
       the refractory count is set to NEST's
       ``ceil(round(1000 t_ref) / round(1000 dt))`` steps (3.75 ms at 0.1 ms: 38);
    2. if refractory: the count goes down by one, everything but the currents is held;
    3. every alpha current advances, then receives this step's delta inputs;
    4. ``x`` plus the current inputs (callables evaluated at the old $V$) become
       $I_\mathrm{stim}$ for the next step (NEST's one-step buffer).

    **Spikes.** The returned spike is exactly NEST's $U > \theta$ (strict: no spike at
    equality) in the forward pass and carries the gradient of ``spk_fun`` backward.
    Consecutive spikes are at least ``n_ref + 1`` steps apart.

    **Inputs.** Synaptic input is delta input in pA routed by label:
    ``add_delta_input(key, w * u.pA, label='receptor_k')`` reaches receptor ``k``
    (0-based: NEST's ``receptor_type`` ``k + 1``); an unlabelled delta input goes to
    receptor 0; any other label is a ``ValueError``. A NEST ``spike_generator`` spike at
    $t_s$ with delay $d$ maps to a delta input registered before the update at
    $t_k = t_s + d - h$; a current generator switching on at $t_\mathrm{on}$ with delay
    $h$ maps to ``x`` at every step with $t_k \ge t_\mathrm{on}$.

    **Synaptic current getters.** :meth:`get_I_syn`, :meth:`get_I_syn_fast` and
    :meth:`get_I_syn_slow` return $\sum_k y_{2,k}$ of the present state (after this
    step's propagation). NEST's recordable ``I_syn`` sampled at $(k+1)h$ is the sum
    *before* propagation in step $k$ (``get_I_syn()`` after step $k-1$), and NEST does not
    refresh it during refractory steps.

    **Differences from the brainpy.state/brainspikes page this API mirrors** (NEST wins
    where the two differ):

    * ``update`` and :meth:`get_spike` use NEST's strict test against the dynamic
      threshold, with a surrogate gradient (the page: a float32 hard spike from
      ``update``, ``get_spike`` against the static ``V_th`` with ``>=``). Spikes have the
      state's dtype.
    * The refractory count uses NEST's integer tic arithmetic (a float ``ceil(t_ref/dt)``
      is one step too long, e.g. at 1.11 ms / 0.01 ms), and ``dt`` is read at each update.
    * Unlabelled delta inputs go to receptor 0, as the page says (brainspikes dropped
      them); the page's ``add_delta_input('excitatory_receptor_0')`` has no input and
      relies on the key: write ``add_delta_input('excitatory', w * u.pA,
      label='receptor_0')``.
    * All state is JAX state with an optional batch axis (the page mentions NumPy
      arrays); parameters may be per-neuron arrays and Quantities (also the vectors).
    * ``th_voltage_decay == g / C_m`` with GLIF5 is a ``ValueError`` (NEST divides by
      zero); unequal ``tau_syn_slow``/``amp_slow``/``tau_syn_fast`` lengths are an error
      (NEST accepts them); ``spk_reset`` shapes only the gradient.
    * ``I_e`` is an addition of the page, not NEST's; ``gsl_error_tol`` is unused.

    **Precision.** In float64 the per-step constants and the update use NEST's operations in
    NEST's order. In float32 (where NEST's forms would lose digits) every decay
    $x e^{-h/\tau}$ is applied as $x + x(e^{-h/\tau} - 1)$ with ``expm1``, so that the
    rounding of a factor close to 1 does not compound over the steps, the ASC step mean
    uses ``expm1``, the increments of $V$ are summed before they are added, and the
    propagators use their stable evaluation.

    **Validation.** Against NEST 3.10 traces (``tests/reference/nest_glif_*.npz``, 18 runs:
    GLIF1-5 under a step current, under excitatory and inhibitory spikes on two receptors,
    with $\tau_\mathrm{syn} = \tau_m$ and $\approx \tau_m$ on both branches of NEST's
    propagator, three receptors, ``dt`` 0.1, 0.05 and 0.01 ms): identical spike steps
    everywhere; $|\Delta V| \le 4.9 \times 10^{-13}$ mV and $|\Delta\theta| \le
    5.7 \times 10^{-14}$ mV in float64, $|\Delta V| \le 8.6 \times 10^{-5}$ mV in float32.
    Pure form: :func:`spikax.functional.glif_step`.

    References
    ----------
    .. [1] Teeter C, Iyer R, Menon V, et al. (2018). Generalized leaky integrate-and-fire
       models classify multiple neuron types. Nature Communications 9:709.
    .. [2] Meffin H, Burkitt AN, Grayden DB (2004). An analytical model for the large,
       fluctuating synaptic conductance state typical of neocortical neurons in vivo.
       J. Comput. Neurosci. 16:159-175.

    Examples
    --------
    >>> import brainstate, saiunit as u
    >>> import spikax
    >>> with brainstate.environ.context(dt=0.1 * u.ms):
    ...     n = spikax.glif_psc_double_alpha(2, spike_dependent_threshold=True,
    ...                                      after_spike_currents=True, adapting_threshold=True)
    ...     n.init_state()
    ...     spikes = brainstate.transform.for_loop(lambda i: n.update([0., 600.] * u.pA),
    ...                                            u.math.arange(1000))
    >>> spikes.sum(axis=0).tolist()
    [0.0, 11.0]
    """

    def __init__(
        self,
        in_size,
        g=9.43 * u.nS,
        E_L=-78.85 * u.mV,
        V_th=-51.68 * u.mV,
        C_m=58.72 * u.pF,
        t_ref=3.75 * u.ms,
        V_reset=-78.85 * u.mV,
        th_spike_add=0.37,
        th_spike_decay=0.009,
        voltage_reset_fraction=0.20,
        voltage_reset_add=18.51,
        th_voltage_index=0.005,
        th_voltage_decay=0.09,
        asc_init=(0.0, 0.0),
        asc_decay=(0.003, 0.1),
        asc_amps=(-9.18, -198.94),
        asc_r=(1.0, 1.0),
        tau_syn_fast=(2.0,),
        tau_syn_slow=(6.0,),
        amp_slow=(0.3,),
        spike_dependent_threshold: bool = False,
        after_spike_currents: bool = False,
        adapting_threshold: bool = False,
        I_e=0.0 * u.pA,
        gsl_error_tol=1e-6,
        V_initializer=None,
        spk_fun: Callable = surrogate.ReluGrad(),
        spk_reset: str = "hard",
        name: str | None = None,
    ):
        super().__init__(in_size, spk_fun=spk_fun, spk_reset=spk_reset, name=name)
        given = dict(locals())
        owner = type(self).__name__
        self.flags = check_flags(owner, (spike_dependent_threshold, after_spike_currents,
                                         adapting_threshold))
        for flag, value in zip(FLAGS, self.flags):
            setattr(self, flag, value)
        for key, unit in _SCALARS.items():
            setattr(self, key, self._param(given[key], key, unit, allow_bare=True))
        for key in _VECTORS:
            setattr(self, key, given[key])
            self._vector(key)  # converts, checks units, finiteness and shape
        check_values(gsl_error_tol, name="gsl_error_tol", owner=owner, lower=0.0,
                     lower_open=True)
        self.gsl_error_tol = gsl_error_tol
        self._validate()
        self.V_initializer = V_initializer

    # ------------------------------------------------------------------ parameters
    def _vector(self, key):
        """Vector parameter ``key`` in internal units, last axis = component."""
        owner = type(self).__name__
        value = getattr(self, key)
        if isinstance(value, (list, tuple)) and any(isinstance(v, u.Quantity) for v in value):
            value = u.math.asarray(value)
        x = to_internal(value, _VECTORS[key], name=key, owner=owner, allow_bare=True)
        x = jnp.atleast_1d(jnp.asarray(x))
        check_values(x, name=key, owner=owner, shown=getattr(self, key))
        try:
            ok = np.broadcast_shapes(x.shape[:-1], self.varshape) == tuple(self.varshape)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"{owner}: `{key}` must be a sequence (one entry per component) or an array of "
                f"shape (*{tuple(self.varshape)}, n); got shape {x.shape}.")
        return x

    def _params(self) -> GlifParams:
        def c(key):
            return self._internal(getattr(self, key), key, _SCALARS[key], allow_bare=True)

        E_L = c("E_L")
        return GlifParams(
            g=c("g"), E_L=E_L, th_inf=c("V_th") - E_L, C_m=c("C_m"), t_ref=c("t_ref"),
            V_reset=c("V_reset") - E_L, th_spike_add=c("th_spike_add"),
            th_spike_decay=c("th_spike_decay"), voltage_reset_fraction=c("voltage_reset_fraction"),
            voltage_reset_add=c("voltage_reset_add"), th_voltage_index=c("th_voltage_index"),
            th_voltage_decay=c("th_voltage_decay"),
            **{key: self._vector(key) for key in _VECTORS}, I_e=c("I_e"))

    def _validate(self):
        """NEST's checks in NEST's order (``Parameters_::set``), then the ones NEST lacks."""
        owner = type(self).__name__
        p = self._params()

        def check(key, unit="", **bounds):
            check_values(getattr(p, key), name=key, owner=owner, shown=getattr(self, key),
                         unit=unit, **bounds)

        def shown(key):
            return getattr(self, key)

        pos = dict(lower=0.0, lower_open=True)
        if self.after_spike_currents:
            check_asc_params(owner, p, shown)
        self._require_less(p.V_reset, p.th_inf, "V_reset", "V_th")
        check("C_m", "pF", **pos)
        check("g", "nS", **pos)
        check("t_ref", "ms", **pos)
        check_threshold_params(owner, self.flags, p, shown)
        check("tau_syn_fast", "ms", **pos)
        check("tau_syn_slow", "ms", **pos)
        check("amp_slow", **pos)
        for key in ("tau_syn_slow", "amp_slow"):
            n, m = p.tau_syn_fast.shape[-1], getattr(p, key).shape[-1]
            if n != m:
                raise ValueError(
                    f"{owner}: `{key}` must have one entry per receptor, as many as "
                    f"`tau_syn_fast` ({n}); got {m}: {getattr(self, key)}.")

    @property
    def n_receptors(self) -> int:
        """Number of receptor ports (the length of ``tau_syn_fast``); labels ``receptor_0`` ..."""
        return int(self._vector("tau_syn_fast").shape[-1])

    # ------------------------------------------------------------------ states
    def _initial(self, batch_size):
        p = self._params()
        init = self.V_initializer
        if init is None:
            init = u.math.asarray(p.E_L) * MV
        if not callable(init):
            init = braintools.init.Constant(init if isinstance(init, u.Quantity) else
                                            u.math.asarray(init) * MV)
        V = self._init_value(init, MV, "V_initializer", batch_size)
        dtype = V.dtype
        zeros = jnp.zeros(V.shape, dtype)
        rec = jnp.zeros((*V.shape, self.n_receptors), dtype)
        asc = jnp.zeros((*V.shape, p.asc_init.shape[-1]), dtype) + p.asc_init.astype(dtype)
        H, S = brainstate.HiddenState, brainstate.ShortTermState
        ditype = brainstate.environ.ditype()
        return dict(
            V=(H, V), threshold=(H, (zeros + p.th_inf + p.E_L) * MV),
            threshold_spike=(H, zeros * MV), threshold_voltage=(H, zeros * MV),
            ASCurrents=(H, asc * PA), y1_fast=(H, rec * _PA_MS), y2_fast=(H, rec * PA),
            y1_slow=(H, rec * _PA_MS), y2_slow=(H, rec * PA),
            refractory_step_count=(S, jnp.zeros(V.shape, ditype)), I_stim=(S, zeros * PA),
            **self._clock_states(V.shape, dtype))

    # ------------------------------------------------------------------ outputs
    def get_spike(self, V=None):
        r"""NEST's spike test $V > \theta$ against the present total threshold ``threshold``,
        as a float 0/1 with the gradient of ``spk_fun((V - threshold) / (V_th - V_reset))``
        (default ``V``: the state)."""
        V = self._internal(self.V.value if V is None else V, "V", MV, allow_bare=True)
        return glif_spike(self._params(), V, self.threshold.value.to_decimal(MV), self.spk_fun)

    def get_I_syn_fast(self):
        r"""$\sum_k y^\mathrm{f}_{2,k}$ [pA]: the fast synaptic current of the present state."""
        return u.math.sum(self.y2_fast.value, axis=-1)

    def get_I_syn_slow(self):
        r"""$\sum_k y^\mathrm{s}_{2,k}$ [pA]: the slow synaptic current of the present state."""
        return u.math.sum(self.y2_slow.value, axis=-1)

    def get_I_syn(self):
        """Total synaptic current [pA], fast plus slow, of the present state (see Notes)."""
        return self.get_I_syn_fast() + self.get_I_syn_slow()

    # ------------------------------------------------------------------ update
    def _receptor_weights(self, shape, dtype):
        """This step's delta inputs [pA] per receptor, ``(*shape, n_receptors)`` (popped)."""
        n = self.n_receptors
        zero = jnp.zeros(shape, dtype)
        table = self._delta_inputs
        if not table:
            return jnp.zeros((*shape, n), dtype)
        owner = type(self).__name__
        for key in table:
            if " // " in key:
                label = key.split(" // ", 1)[0]
                m = _RECEPTOR.fullmatch(label)
                if m is None or int(m.group(1)) >= n:
                    raise ValueError(
                        f"{owner}: delta input {key!r} has label {label!r}; synaptic input "
                        f"must be labelled 'receptor_k' with k in 0..{n - 1} (this neuron has "
                        f"{n} receptor{'s' * (n > 1)}), or unlabelled for receptor 0.")
        ws = [self._delta_jump(PA, label=f"receptor_{k}") for k in range(n)]
        ws[0] = ws[0] + self._delta_jump(PA, label=UNLABELLED)  # unlabelled: receptor 0
        return jnp.stack([jnp.asarray(w, dtype) + zero for w in ws], axis=-1)

    def update(self, x=0.0 * u.pA):
        """One NEST step ``dt``: ``x`` arrives now and drives the next step. Returns spikes."""
        dtype = self.V.value.dtype
        cast = lambda a: jnp.asarray(a, dtype)  # noqa: E731
        p = GlifParams(*map(cast, self._params()))
        dt = self.dt_ms()
        old = self._read_states(_STATES)
        V0 = old["V"]
        drive = self._current_drive(x, PA, MV)
        I = drive(V0) if callable(drive) else drive
        new, spike = glif_step(p, GlifState(**old), cast(I),
                               self._receptor_weights(V0.shape, dtype), dt, *self.flags,
                               spk_fun=self.spk_fun, soft_reset=self.spk_reset == "soft")
        t = cast(self._now_ms(dt))
        self._write_states(_STATES, new, old)
        self._stamp_spikes(spike, t + dt)  # NEST stamps the end of the step
        return spike
