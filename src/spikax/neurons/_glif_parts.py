r"""The GLIF mechanisms of :class:`spikax.glif_psc_double_alpha`, one pure function each.

Each GLIF variant adds mechanisms to a leaky membrane (see the class docstring for the
equations): the refractory countdown, the after-spike currents (ASC), the spike component
of the threshold $\theta_s$ and its voltage component $\theta_v$. This module holds the
per-step constants and the update of each mechanism, in NEST's internal units (ms, mV, pA,
pF, nS, 1/ms) and, in float64, with NEST 3.10's operations in NEST's order
(``models/glif_psc_double_alpha.cpp``), so that traces agree with NEST to rounding. Other
dtypes use forms without cancellation where NEST's would lose digits (noted per function).

Everything is ``jax.numpy`` and broadcasts; vector parameters carry their component
(ASC or receptor) on the last axis.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import propagators, surrogate
from .._units import check_values, is_concrete

__all__ = [
    "MECHANISMS",
    "FLAGS",
    "check_flags",
    "check_asc_params",
    "check_threshold_params",
    "decay",
    "AscConstants",
    "asc_constants",
    "asc_mean_and_decay",
    "theta_spike_constants",
    "ThetaVoltageConstants",
    "theta_voltage_constants",
    "theta_voltage_step",
    "strict_spike",
    "blend_reset",
]


#: Valid (spike_dependent_threshold, after_spike_currents, adapting_threshold) -> variant.
MECHANISMS = {(False, False, False): "GLIF1", (True, False, False): "GLIF2",
              (False, True, False): "GLIF3", (True, True, False): "GLIF4",
              (True, True, True): "GLIF5"}
FLAGS = ("spike_dependent_threshold", "after_spike_currents", "adapting_threshold")
_POSITIVE = dict(lower=0.0, lower_open=True)


# ----------------------------------------------------------------------------------------
# parameter checks of the mechanisms (NEST's, Parameters_::set, plus the ones NEST lacks)
# ----------------------------------------------------------------------------------------


def check_flags(owner: str, values) -> tuple:
    """The three switches as Python bools; ``TypeError``/``ValueError`` unless valid."""
    flags = []
    for name, value in zip(FLAGS, values):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{owner}: `{name}` must be True or False; got {value!r}.")
        flags.append(bool(value))
    if tuple(flags) not in MECHANISMS:
        valid = "; ".join(f"{v} {k}" for k, v in MECHANISMS.items())
        raise ValueError(
            f"{owner}: invalid mechanism combination ({', '.join(FLAGS)}) = {tuple(flags)}; "
            f"valid are {valid} (adapting_threshold needs the other two).")
    return tuple(flags)


def _same_length(owner, p, shown, key, ref):
    n, m = np.shape(getattr(p, key))[-1], np.shape(getattr(p, ref))[-1]
    if n != m:
        raise ValueError(f"{owner}: `{key}` must have as many entries as `{ref}` ({m}); "
                         f"got {n}: {shown(key)}.")


def check_asc_params(owner: str, p, shown: Callable) -> None:
    """After-spike currents: equal lengths, ``asc_decay > 0``, ``asc_r`` in [0, 1].

    ``p`` holds internal values (a ``GlifParams``), ``shown(name)`` what the user passed.
    """
    for key in ("asc_init", "asc_amps", "asc_r"):
        _same_length(owner, p, shown, key, "asc_decay")
    check_values(p.asc_decay, name="asc_decay", owner=owner, shown=shown("asc_decay"),
                 unit="1/ms", **_POSITIVE)
    check_values(p.asc_r, name="asc_r", owner=owner, shown=shown("asc_r"), lower=0.0, upper=1.0)


def check_threshold_params(owner: str, flags, p, shown: Callable) -> None:
    """Threshold components: ``b_v > 0`` and ``b_v != g/C_m`` (GLIF5); ``b_s > 0`` and
    ``f_v`` in [0, 1] (GLIF2/4/5)."""
    spike_dependent, _, adapting = flags
    if adapting:
        check_values(p.th_voltage_decay, name="th_voltage_decay", owner=owner, unit="1/ms",
                     shown=shown("th_voltage_decay"), **_POSITIVE)
    if spike_dependent:
        check_values(p.th_spike_decay, name="th_spike_decay", owner=owner, unit="1/ms",
                     shown=shown("th_spike_decay"), **_POSITIVE)
        check_values(p.voltage_reset_fraction, name="voltage_reset_fraction", owner=owner,
                     shown=shown("voltage_reset_fraction"), lower=0.0, upper=1.0)
    if adapting and is_concrete(p):
        rate = np.asarray(p.g, float) / np.asarray(p.C_m, float)
        if np.any(np.asarray(p.th_voltage_decay, float) - rate == 0.0):
            raise ValueError(
                f"{owner}: `th_voltage_decay` must differ from g / C_m = {rate} 1/ms (the "
                f"membrane's rate, where the voltage-dependent threshold is singular); got "
                f"th_voltage_decay={shown('th_voltage_decay')}.")


def decay(x, factor, factor_m1, *, nest_ops: bool):
    r"""$x\,e^{-h/\tau}$ given ``factor`` $= e^{-h/\tau}$ and ``factor_m1`` $= e^{-h/\tau} - 1$.

    ``nest_ops``: ``x * factor``, NEST's operation. Otherwise ``x + factor_m1 * x``, whose
    effective factor is exact to the rounding of the small ``factor_m1``: the rounding
    error of a stored factor close to 1 would otherwise compound over the steps (in
    float32, ~$n\epsilon$ relative after $n$ steps).
    """
    return x * factor if nest_ops else x + factor_m1 * x


class AscConstants(NamedTuple):
    """Per-step constants of the after-spike currents (last axis: one entry per current)."""

    decay: jax.Array  # 1: exp(-k h)
    decay_m1: jax.Array  # 1: exp(-k h) - 1
    mean: jax.Array  # 1: (1 - exp(-k h)) / (k h), step average over the decay
    refractory: jax.Array  # 1: r exp(-k t_ref), what is left of a current after a spike


def asc_constants(k, r, t_ref, h, *, nest_ops: bool) -> AscConstants:
    r"""Constants of the ASC $I_j$ with rates ``k`` [1/ms] and fractions ``r``.

    ``mean`` is $\frac{1 - e^{-k_j h}}{k_j h}$, the factor that turns $I_j$ at the start of a
    step into its exact mean over the step. NEST computes it as
    $((1/k_j)/h)(1 - e^{-k_j h})$ (``nest_ops=True``), which loses about
    $\epsilon/(k_j h)$ of relative accuracy; otherwise it is $-\mathrm{expm1}(-k_j h)/(k_j h)$.
    """
    tau = 1.0 / k
    decay = propagators.decay(tau, h)
    if nest_ops:
        mean = (tau / h) * (1.0 - decay)
    else:
        mean = -propagators.decay_expm1(tau, h) / (k * h)
    t_ref = jnp.asarray(t_ref)[..., None]
    return AscConstants(decay, propagators.decay_expm1(tau, h), mean,
                        r * propagators.decay(tau, t_ref))


def asc_mean_and_decay(c: AscConstants, I_asc, *, nest_ops: bool):
    r"""$(\sum_j \bar I_j, I_j e^{-k_j h})$: the step-averaged total ASC and the decayed currents.

    The sum runs over the last axis in NEST's order (component 0 first). See
    :func:`decay` for ``nest_ops``.
    """
    terms = c.mean * I_asc
    total = jnp.zeros(terms.shape[:-1], terms.dtype)
    for j in range(terms.shape[-1]):
        total = total + terms[..., j]
    return total, decay(I_asc, c.decay, c.decay_m1, nest_ops=nest_ops)


def theta_spike_constants(b_s, t_ref, h):
    r"""$(e^{-b_s h}, e^{-b_s h} - 1, e^{-b_s t_\mathrm{ref}})$: decay of $\theta_s$ over a
    step and over $t_\mathrm{ref}$."""
    tau = 1.0 / jnp.asarray(b_s)
    return (propagators.decay(tau, h), propagators.decay_expm1(tau, h),
            propagators.decay(tau, t_ref))


class ThetaVoltageConstants(NamedTuple):
    """Per-step constants of the voltage component of the threshold (GLIF5)."""

    potential_decay: jax.Array  # 1: exp(-g h / C_m)
    potential_decay_m1: jax.Array  # 1: exp(-g h / C_m) - 1
    decay_inverse: jax.Array  # 1: exp(-b_v h)
    decay_inverse_m1: jax.Array  # 1: exp(-b_v h) - 1
    phi: jax.Array  # 1: a_v / (b_v - g / C_m)
    ratio: jax.Array  # 1: a_v / b_v


def theta_voltage_constants(g, C_m, a_v, b_v, h) -> ThetaVoltageConstants:
    r"""Constants of $\theta_v$; ``a_v``, ``b_v`` in 1/ms, ``g`` nS, ``C_m`` pF, ``h`` ms.

    $\varphi = a_v / (b_v - g/C_m)$ is singular at $b_v = g/C_m$; the model rejects that
    parameter combination.
    """
    tau_m, tau_v = C_m / g, 1.0 / b_v
    return ThetaVoltageConstants(
        potential_decay=propagators.decay(tau_m, h),
        potential_decay_m1=propagators.decay_expm1(tau_m, h),
        decay_inverse=propagators.decay(tau_v, h),
        decay_inverse_m1=propagators.decay_expm1(tau_v, h),
        phi=a_v / (b_v - g / C_m),
        ratio=a_v / b_v,
    )


def theta_voltage_step(c: ThetaVoltageConstants, theta_v, v_old, beta, *, nest_ops: bool):
    r"""$\theta_v$ after one step, NEST's exact solution of $\dot\theta_v = a_v U - b_v\theta_v$.

    $$\theta_v \leftarrow \varphi(U_0 - \beta)\,e^{-gh/C_m}
      + e^{-b_v h}\left(\theta_v - \varphi(U_0 - \beta) - \frac{a_v}{b_v}\beta\right)
      + \frac{a_v}{b_v}\beta$$

    with $U_0$ the membrane potential at the start of the step (relative to $E_L$) and
    $\beta = (I + \sum_j \bar I_j)/g$ the potential it relaxes to without synaptic input.
    ``nest_ops``: NEST's operations; otherwise the same in increments,
    $\theta_v + \varphi(U_0 - \beta)(e^{-gh/C_m} - 1) + (\theta_v - \varphi(U_0 - \beta) -
    \tfrac{a_v}{b_v}\beta)(e^{-b_v h} - 1)$, which is free of compounding rounding (see
    :func:`decay`).
    """
    drift = c.phi * (v_old - beta)
    if not nest_ops:
        return (theta_v + drift * c.potential_decay_m1
                + (theta_v - drift - c.ratio * beta) * c.decay_inverse_m1)
    return (drift * c.potential_decay
            + c.decay_inverse * (theta_v - drift - c.ratio * beta)
            + c.ratio * beta)


def strict_spike(U, threshold, scale, spk_fun: Callable):
    r"""NEST's strict spike test $U > \theta$ and a zero-valued surrogate-gradient carrier.

    Returns ``(spiked, tangent)``: ``spiked`` is exactly ``U > threshold`` (no spike at
    equality, unlike the surrogates' $H(0) = 1$); ``tangent`` is ``0.0`` in value and has
    the derivative of ``spk_fun((U - threshold) / scale)``. The spike output is
    ``spiked + tangent``, and ``tangent`` also carries gradients into soft resets.
    """
    return U > threshold, jnp.asarray(surrogate.crossing_tangent(spk_fun, U, threshold, scale))


def blend_reset(spiked, tangent, reset, value, soft: bool):
    r"""``reset`` where ``spiked`` else ``value``, exactly; with ``soft`` the spike's surrogate
    gradient also flows into the jump, as for $x + (x_\mathrm{reset} - x)\,s$."""
    out = jnp.where(spiked, reset, value)
    if soft:
        out = out + tangent * (reset - value)
    return out
