"""Pure helpers shared by the neuron families (plain jnp, internal units, no state)."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

__all__ = ["exprel", "exp_euler", "drive_at", "reset_from_spike", "nest_refractory_steps"]

#: NEST's clock resolution: tics per millisecond (1 tic = 1 us).
TICS_PER_MS = 1000


def exprel(z):
    r"""$\varphi(z) = (e^z - 1)/z$ with $\varphi(0) = 1$, accurate and differentiable everywhere.

    A third-order Taylor series is used for $|z|$ below ``1e-7`` (float64) / ``1e-4``
    (float32), where it is exact to rounding; ``expm1(z)/z`` elsewhere (the same split as
    ``saiunit.math.exprel``, which ``brainstate.nn.exp_euler_step`` uses).
    """
    z = jnp.asarray(z)
    if not jnp.issubdtype(z.dtype, jnp.floating):
        z = z.astype(jnp.result_type(float))
    small = jnp.abs(z) < (1e-7 if z.dtype == jnp.float64 else 1e-4)
    safe = jnp.where(small, jnp.ones_like(z), z)
    taylor = 1.0 + z * (0.5 + z * (1.0 / 6.0 + z / 24.0))
    return jnp.where(small, taylor, jnp.expm1(safe) / safe)


def drive_at(I, v):
    """The input ``I`` at membrane potential ``v``: ``I(v)`` if callable, else ``I``."""
    return I(v) if callable(I) else I


def exp_euler(f: Callable, x, dt, z_max=None, materialize: bool = False):
    r"""One exponential-Euler step of $\dot x = f(x)$ with the diagonal Jacobian.

    $$x_{n+1} = x_n + \Delta t\,\varphi(\Delta t\,J)\,f(x_n), \qquad
      J = \mathrm{diag}\,\frac{\partial f}{\partial x}(x_n)$$

    Exact when ``f`` is affine in ``x`` elementwise. ``J`` is taken as the
    vector-Jacobian product with ones (as ``brainstate.nn.exp_euler_step`` does), so a
    callable input that depends on ``x`` contributes to the linear part. ``z_max``
    (optional) caps $\Delta t\,J$ from above, so that a strongly unstable linear part
    cannot overflow $\varphi$ (``None``: no cap, brainstate's step exactly).
    ``materialize`` computes $\varphi(\Delta t\,J)$ into an array of its own (an
    optimisation barrier), for a ``J`` that varies per element and step: fused into the
    update instead, its transcendental makes XLA's CPU loop ~1.3x slower (AdExIFRef). A
    constant ``J`` must not use it, since it would stop XLA from folding the factor.
    """
    x = jnp.asarray(x)
    fx, vjp = jax.vjp(f, x)
    (J,) = vjp(jnp.ones_like(fx))
    z = dt * J if z_max is None else jnp.minimum(dt * J, z_max)
    phi = exprel(z)
    if materialize:
        phi = jax.lax.optimization_barrier(phi)
    return x + dt * phi * fx


def reset_from_spike(v, spike, V_th, V_reset, soft: bool):
    r"""brainpy.state's deferred reset: $v - (c - V_\mathrm{reset})\,s$.

    ``c = V_th`` for a soft reset; for a hard reset ``c = stop_gradient(v)``, so the forward
    value lands exactly on ``V_reset`` while the gradient flows through ``v`` and ``s``.
    """
    c = V_th if soft else jax.lax.stop_gradient(v)
    return v - (c - V_reset) * spike


def nest_refractory_steps(t_ref, dt):
    r"""Refractory period in whole steps, as NEST's ``Time(Time::ms(t_ref)).get_steps()``.

    $$n_\mathrm{ref} = \left\lceil \frac{\lfloor 1000\,t_\mathrm{ref} + 0.5 \rfloor}
      {\operatorname{round}(1000\,\Delta t)} \right\rceil$$

    (times in ms, NEST's clock counts 1000 tics per ms), computed in integers. A plain
    ``ceil(t_ref / dt)`` in floating point is one step too long whenever the quotient rounds
    just above an integer (``1.11 / 0.01`` gives ``111.00000000000001``).

    Examples
    --------
    >>> from spikax.functional import nest_refractory_steps
    >>> [int(nest_refractory_steps(t, h)) for t, h in [(3.75, 0.1), (1.11, 0.01), (0.07, 0.01)]]
    [38, 111, 7]
    """
    try:
        step_tics = round(float(dt) * TICS_PER_MS)
    except (TypeError, jax.errors.ConcretizationTypeError):  # traced dt
        step_tics = jnp.round(jnp.asarray(dt) * TICS_PER_MS).astype(jnp.int32)
    tics = jnp.floor(jnp.asarray(t_ref) * TICS_PER_MS + 0.5).astype(jnp.int32)
    return (tics + step_tics - 1) // step_tics
