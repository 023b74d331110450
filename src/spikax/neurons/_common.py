"""Pure helpers shared by the neuron families (plain jnp, internal units, no state)."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

__all__ = ["exprel", "exp_euler", "drive_at", "reset_from_spike"]


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


def exp_euler(f: Callable, x, dt):
    r"""One exponential-Euler step of $\dot x = f(x)$ with the diagonal Jacobian.

    $$x_{n+1} = x_n + \Delta t\,\varphi(\Delta t\,J)\,f(x_n), \qquad
      J = \mathrm{diag}\,\frac{\partial f}{\partial x}(x_n)$$

    Exact when ``f`` is affine in ``x`` elementwise. ``J`` is taken as the
    vector-Jacobian product with ones (as ``brainstate.nn.exp_euler_step`` does), so a
    callable input that depends on ``x`` contributes to the linear part.
    """
    x = jnp.asarray(x)
    fx, vjp = jax.vjp(f, x)
    (J,) = vjp(jnp.ones_like(fx))
    return x + dt * exprel(dt * J) * fx


def reset_from_spike(v, spike, V_th, V_reset, soft: bool):
    r"""brainpy.state's deferred reset: $v - (c - V_\mathrm{reset})\,s$.

    ``c = V_th`` for a soft reset; for a hard reset ``c = stop_gradient(v)``, so the forward
    value lands exactly on ``V_reset`` while the gradient flows through ``v`` and ``s``.
    """
    c = V_th if soft else jax.lax.stop_gradient(v)
    return v - (c - V_reset) * spike
