"""Pure core of the classic ``brainpy.neurons.GIF``: ``GifClassicParams``, ``GifClassicState``,
the sub-threshold integrators (``'exp_auto'``, ``'euler'``, ``'rk4'``, ``'exact'``), the exact
propagator and ``gif_classic_step``. Units are brainpy's (the page's): mV, ms, 1/ms, mA and
ohm, so that ``R * I`` is in mV. The module :class:`spikax.GIF` lives in ``_gif_classic.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .. import surrogate
from ._common import exprel

__all__ = ["GifClassicParams", "GifClassicState", "GIF_METHODS", "NOISE_TARGETS",
           "gif_classic_method", "gif_classic_derivatives", "gif_classic_propagator",
           "gif_classic_integrate", "gif_classic_step"]

#: Accepted ``method`` names -> the scheme they select (brainpy's aliases included).
GIF_METHODS = {"exp_auto": "exp_auto", "exp_euler": "exp_auto", "exponential_euler": "exp_auto",
               "exp_euler_auto": "exp_auto", "euler": "euler", "rk4": "rk4", "exact": "exact"}
#: The variables a scalar ``noise`` may drive (``'I1'`` is brainpy's choice).
NOISE_TARGETS = ("I1", "V")


class GifClassicParams(NamedTuple):
    """Parameters of :class:`spikax.GIF` in brainpy's units (plain floats or arrays)."""

    V_rest: jax.Array  # mV
    V_reset: jax.Array  # mV
    V_th_inf: jax.Array  # mV
    V_th_reset: jax.Array  # mV
    R: jax.Array  # ohm (ohm * mA = mV)
    tau: jax.Array  # ms
    a: jax.Array  # 1/ms
    b: jax.Array  # 1/ms
    k1: jax.Array  # 1/ms
    k2: jax.Array  # 1/ms
    R1: jax.Array  # dimensionless
    R2: jax.Array  # dimensionless
    A1: jax.Array  # mA
    A2: jax.Array  # mA
    tau_ref: jax.Array = 0.0  # ms


class GifClassicState(NamedTuple):
    """State of :class:`spikax.GIF` (brainpy's variable names and initial values)."""

    V: jax.Array  # mV
    I1: jax.Array  # mA
    I2: jax.Array  # mA
    V_th: jax.Array  # mV (the dynamic threshold theta)
    t_last_spike: jax.Array = -1e8  # ms (brainpy 2.9 uses -1e8, its docs say -1e7)
    refractory: jax.Array = False  # bool


def gif_classic_method(method: str) -> str:
    """The scheme selected by ``method`` (``'exp_auto'``, ``'euler'``, ``'rk4'`` or
    ``'exact'``); anything else is a ``ValueError`` listing the accepted names."""
    if not isinstance(method, str) or method not in GIF_METHODS:
        raise ValueError(f"GIF: `method` must be one of {sorted(GIF_METHODS)}; got {method!r}.")
    return GIF_METHODS[method]


def gif_classic_derivatives(p: GifClassicParams, I1, I2, V_th, V, I):
    r"""Right-hand sides $(\dot I_1, \dot I_2, \dot\theta, \dot V)$ in brainpy's ``JointEq``
    order, with the external current ``I`` (mA) held fixed; see :class:`spikax.GIF`."""
    return (-p.k1 * I1, -p.k2 * I2, p.a * (V - p.V_rest) - p.b * (V_th - p.V_th_inf),
            (-(V - p.V_rest) + p.R * (I + I1 + I2)) / p.tau)


def gif_classic_propagator(p: GifClassicParams, dt):
    r"""Exact one-step propagator of the sub-threshold GIF system for an input held constant.

    With $z = \theta - \theta_\infty$ and $v = V - V_\mathrm{rest}$ the system is linear and
    homogeneous in $y = (I_1, I_2, z, v, I)$, $\dot y = M y$ with $\dot I = 0$:

    $$M = \begin{pmatrix} -k_1 & 0 & 0 & 0 & 0 \\ 0 & -k_2 & 0 & 0 & 0 \\
        0 & 0 & -b & a & 0 \\ R/\tau & R/\tau & 0 & -1/\tau & R/\tau \\
        0 & 0 & 0 & 0 & 0 \end{pmatrix}$$

    so one step is $y \leftarrow e^{M \Delta t} y$. Returns the first four rows of
    $e^{M \Delta t}$ (``jax.scipy.linalg.expm``), shape ``(*params_shape, 4, 5)``: no case
    distinction is needed when rates coincide ($k_j = 1/\tau$, $b = 1/\tau$, $b = 0$, ...).
    Working in deviations keeps float32 accurate (no $-70$ mV offsets inside the matrix).
    Pure and differentiable in the parameters; compute it once per ``(params, dt)``.
    """
    k1, k2, a, b, R, tau = (jnp.asarray(x) for x in (p.k1, p.k2, p.a, p.b, p.R, p.tau))
    shape = jnp.broadcast_shapes(*(x.shape for x in (k1, k2, a, b, R, tau)))
    dtype = jnp.result_type(k1, k2, a, b, R, tau, dt, float)
    z = jnp.zeros(shape, dtype)
    g = R / tau + z
    rows = [[-k1 + z, z, z, z, z], [z, -k2 + z, z, z, z], [z, z, -b + z, a + z, z],
            [g, g, z, -1.0 / tau + z, g], [z, z, z, z, z]]
    M = jnp.stack([jnp.stack(r, axis=-1) for r in rows], axis=-2)
    return jax.scipy.linalg.expm(M * jnp.asarray(dt, dtype))[..., :4, :]


def gif_classic_integrate(p: GifClassicParams, s: GifClassicState, I, dt, method="exp_auto",
                          propagator=None):
    """The sub-threshold step ``(I1, I2, V_th, V)`` over ``dt`` under the current ``I`` (mA).

    ``method`` (see :data:`GIF_METHODS`): ``'exp_auto'`` is brainpy's exponential Euler on its
    ``JointEq``, each variable with its own diagonal Jacobian and the *other* variables at
    their old values (exact for each equation alone, first order for the coupled system);
    ``'euler'`` and ``'rk4'`` are the explicit schemes on the whole system (brainpy's
    generated code, same operation order); ``'exact'`` applies
    :func:`gif_classic_propagator` (``propagator``: a precomputed one).
    """
    scheme = gif_classic_method(method)
    I1, I2, th, V = (jnp.asarray(x) for x in (s.I1, s.I2, s.V_th, s.V))
    f = lambda y: gif_classic_derivatives(p, *y, I)  # noqa: E731
    y = (I1, I2, th, V)
    if scheme == "exp_auto":  # x + dt phi(dt J) f(x), J the (constant) diagonal Jacobian
        J = (-p.k1, -p.k2, -p.b, -1.0 / p.tau)
        return tuple(x + dt * exprel(dt * j) * d for x, j, d in zip(y, J, f(y)))
    if scheme == "euler":
        return tuple(x + d * dt * 1 for x, d in zip(y, f(y)))
    if scheme == "rk4":
        k1 = f(y)
        k2 = f(tuple(x + dt * d * 0.5 for x, d in zip(y, k1)))
        k3 = f(tuple(x + dt * d * 0.5 for x, d in zip(y, k2)))
        k4 = f(tuple(x + dt * d for x, d in zip(y, k3)))
        return tuple(x + d1 * dt * 1 / 6 + d2 * dt * 1 / 3 + d3 * dt * 1 / 3 + d4 * dt * 1 / 6
                     for x, d1, d2, d3, d4 in zip(y, k1, k2, k3, k4))
    P = gif_classic_propagator(p, dt) if propagator is None else propagator
    shape = jnp.broadcast_shapes(*(jnp.shape(x) for x in (I1, I2, th, V, I, p.V_rest,
                                                          p.V_th_inf)))
    cols = (I1, I2, th - p.V_th_inf, V - p.V_rest, I)
    y = jnp.stack([jnp.broadcast_to(x, shape) for x in cols], axis=-1)
    new = jnp.matmul(P, y[..., None])[..., 0]
    return new[..., 0], new[..., 1], new[..., 2] + p.V_th_inf, new[..., 3] + p.V_rest


def _reset(old, target, spike, fired):
    """``old + spike * (target - old)`` (brainpy's training-mode blend, whose gradient we keep)
    with the forward value exactly ``where(fired, target, old)`` (its non-training value)."""
    blend = old + spike * (target - old)
    return blend + jax.lax.stop_gradient(jnp.where(fired, target, old) - blend)


def gif_classic_step(p: GifClassicParams, s: GifClassicState, I, dt, t, *,
                     method: str = "exp_auto", spk_fun: Callable = surrogate.inv_square_grad,
                     soft_reset: bool = False, delta=0.0, noise=0.0, noise_target: str = "I1",
                     propagator=None):
    r"""Advance :class:`spikax.GIF` by one step of ``dt`` ms from time ``t`` ms.

    Returns ``(new_state, spike)``; equations and step order: see :class:`spikax.GIF`. ``I``
    (mA) is the total external current, held over the step (current inputs are evaluated at
    the old V by the caller); ``delta`` (mV) is added to the integrated V; ``noise`` is the
    already scaled stochastic increment $\sigma\sqrt{\Delta t}\,\xi$ added to ``noise_target``
    (``'I1'``: mA, ``'V'``: mV). ``method`` and ``propagator``: see
    :func:`gif_classic_integrate`. Pure: safe under ``jit``, ``vmap``, ``grad`` and ``scan``.

    Examples
    --------
    >>> from spikax.functional import GifClassicParams, GifClassicState, gif_classic_step
    >>> p = GifClassicParams(V_rest=-70.0, V_reset=-70.0, V_th_inf=-50.0, V_th_reset=-60.0,
    ...                      R=20.0, tau=20.0, a=0.0, b=0.01, k1=0.2, k2=0.02, R1=0.0,
    ...                      R2=1.0, A1=0.0, A2=0.0)
    >>> s, spike = gif_classic_step(p, GifClassicState(-50.01, 0.0, 0.0, -50.0), 1.5, 0.1,
    ...                             t=0.0)
    >>> float(spike), float(s.V), float(s.V_th)         # fired: V reset, theta >= -60 mV
    (1.0, -70.0, -50.0)
    """
    if noise_target not in NOISE_TARGETS:
        raise ValueError(f"GIF: `noise_target` must be one of {NOISE_TARGETS}; "
                         f"got {noise_target!r}.")
    V0, th0 = jnp.asarray(s.V), jnp.asarray(s.V_th)
    last = jnp.asarray(s.t_last_spike)
    I1, I2, th, V = gif_classic_integrate(p, s, I, dt, method, propagator)
    if noise_target == "I1":
        I1 = I1 + noise
    else:
        V = V + noise
    V = V + delta
    refr = jax.lax.stop_gradient((t - last) <= p.tau_ref)
    V = jnp.where(refr, V0, V)  # only V is held during the refractory period
    spike = surrogate.crossing(spk_fun, V, th0)  # the threshold from before the step
    # Materialise V and the spike once: without the barrier XLA (CPU) recomputes the whole
    # integration inside the fusion of every state it writes, each reading all the old
    # states, and copies the old states each step to keep them alive (1.3-1.6x slower).
    V, spike = jax.lax.optimization_barrier((V, spike))
    fired = jax.lax.stop_gradient(spike) > 0
    V = _reset(V, V - (th0 - p.V_reset) if soft_reset else p.V_reset, spike, fired)
    I1 = _reset(I1, p.R1 * I1 + p.A1, spike, fired)
    I2 = _reset(I2, p.R2 * I2 + p.A2, spike, fired)
    th = _reset(th, jnp.maximum(p.V_th_reset, th), spike, fired)
    last = jnp.where(fired, t, last)
    return GifClassicState(V, I1, I2, th, last, refr | fired), spike
