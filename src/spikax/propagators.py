r"""Exact-integration propagators for current-based integrate-and-fire neurons.

A leaky membrane driven by an alpha-shaped synaptic current is a linear system. With
the states $y_1 = \dot I$ [pA/ms], $y_2 = I$ [pA] and $V$ [mV] (relative to rest) and a
piecewise-constant external current $I_0$ [pA],

$$\dot y_1 = -\frac{y_1}{\tau_s}, \qquad
  \dot y_2 = y_1 - \frac{y_2}{\tau_s}, \qquad
  \dot V = \frac{y_2 + I_0}{C} - \frac{V}{\tau_m},$$

and one step of length $h$ is exactly the matrix exponential $P = e^{A h}$:

$$y_2 \leftarrow P_{21} y_1 + P_{22} y_2, \qquad y_1 \leftarrow P_{11} y_1, \qquad
  V \leftarrow P_{33} V + P_{30} I_0 + P_{31} y_1 + P_{32} y_2$$

(the right-hand sides use the values from before the step). An exponentially decaying
current is the same system without $y_1$. This module computes every entry:

=====================================  ==========================  =================
function                               entries                     units
=====================================  ==========================  =================
:func:`decay`                          $P_{11} = P_{22} = P_{33}$   1
:func:`decay_expm1`                    $P_{33} - 1$                 1
:func:`alpha_decay`                    $P_{11}, P_{21}$             1, ms
:func:`membrane_propagators`           $P_{33}, P_{30}$             1, mV/pA
:func:`iaf_propagator_alpha`           $P_{31}, P_{32}$             mV/(pA/ms), mV/pA
:func:`iaf_propagator_exp`             $P_{32}$                     mV/pA
=====================================  ==========================  =================

$P_{31}$ and $P_{32}$ have a removable singularity at $\tau_s = \tau_m$, handled in one
of two ways (keyword ``mode``):

``'nest'``
    The formulas and the branch logic of NEST's ``IAFPropagatorAlpha`` /
    ``IAFPropagatorExp`` (``iaf_propagator.cpp``, NEST >= 3.4, with the precomputed
    inverses of NEST 3.10), operation by operation, so that float64 values agree with
    NEST's to an ulp or two (on XLA:CPU, eagerly and under ``jit``; ``expm1`` is evaluated
    correctly rounded, as glibc does, because NEST's formula amplifies its last bit). NEST
    falls back to the $\tau_s = \tau_m$ limit for $P_{31}$ when
    $h \le h_\mathrm{min} = 10^{-7}\tau_m^2/|\tau_m - \tau_s|$, which leaves a relative
    error of up to about $10^{-7}$ next to that switch; its regular $P_{31}$ formula
    cancels catastrophically in float32, and, as in NEST, $P_{31}$ is NaN when
    $|h/\tau_s - h/\tau_m| \gtrsim 709$.
``'stable'``
    An evaluation that is exact in exact arithmetic and accurate to a few ulps everywhere,
    in float32 as well, smooth through $\tau_s = \tau_m$ (see
    :func:`iaf_propagator_alpha`).

The default (``mode=None``) is ``'nest'`` for float64 and ``'stable'`` for every other
dtype. In both modes derivatives are those of the exact propagator, computed from the
stable form; they are finite for every argument, also at and arbitrarily near
$\tau_s = \tau_m$.

Arguments are plain numbers or arrays in ms, pF and ms (NEST's units), or saiunit
Quantities of the right dimension (converted at the entry). Arrays broadcast, so
heterogeneous per-neuron parameters work directly; everything is pure ``jax.numpy`` and
works under ``jit``, ``vmap`` and ``grad``. Results are plain arrays in the units above.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from ._units import MS, PF, to_internal

__all__ = [
    "MODES",
    "decay",
    "decay_expm1",
    "alpha_decay",
    "membrane_propagators",
    "iaf_propagator_alpha",
    "iaf_propagator_exp",
]

#: Accepted values of the ``mode`` keyword (``None`` picks by dtype).
MODES = ("nest", "stable")

#: NEST's factor in the $P_{31}$ switch: regular formula iff ``h > 1e-7 * tau_m**2 / |dtau|``.
_NEST_STABILITY_FACTOR = 1e-7

# Below |z| < _SERIES_RADIUS the phi-functions are summed as Taylor series, above it the
# closed forms (whose cancellation error is about 2 eps / |z|) are used.
_SERIES_RADIUS = 0.5
# Number of Taylor terms: truncation error 0.5**n / (n + 1)! is below the dtype's eps.
_SERIES_TERMS = {4: 9, 8: 16}


# ----------------------------------------------------------------------------------------
# argument handling
# ----------------------------------------------------------------------------------------


def _prepare(owner, *specs):
    """Convert ``(value, unit, name)`` triples to arrays of one common floating dtype.

    Returns ``(arrays, compute_dtype, out_dtype)``. Half-precision inputs are computed in
    float32 and the results cast back.
    """
    arrays = [
        jnp.asarray(to_internal(value, unit, name=name, owner=owner, allow_bare=True))
        for value, unit, name in specs
    ]
    dtype = jnp.result_type(*arrays)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    out_dtype = dtype
    if jnp.finfo(dtype).bits < 32:
        dtype = jnp.dtype(jnp.float32)
    return [a.astype(dtype) for a in arrays], dtype, out_dtype


def _resolve_mode(mode, dtype, owner):
    if mode is None:
        return "nest" if dtype == jnp.float64 else "stable"
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(
            f"{owner}: unknown mode {mode!r}; expected one of {', '.join(map(repr, MODES))} "
            f"or None (= 'nest' for float64, 'stable' otherwise)."
        )
    return mode


# ----------------------------------------------------------------------------------------
# plain decay factors (each jitted: one compiled computation instead of one per operation)
# ----------------------------------------------------------------------------------------


@jax.jit
def _decay(tau, h):
    return jnp.exp(-h / tau)


@jax.jit
def _decay_expm1(tau, h):
    return jnp.expm1(-h / tau)


@jax.jit
def _alpha_decay(tau_syn, h):
    p11 = jnp.exp(-h / tau_syn)
    return p11, h * p11


@jax.jit
def _membrane(tau_m, c_m, h):
    # NEST: P30 = -tau_m / C * expm1(-h / tau_m)
    return jnp.exp(-h / tau_m), -tau_m / c_m * jnp.expm1(-h / tau_m)


def decay(tau, h):
    r"""Exponential decay factor over one step, $e^{-h/\tau}$.

    $$P = e^{-h/\tau}$$

    This is $P_{11} = P_{22}$ for a synaptic current with time constant $\tau = \tau_s$ and
    $P_{33}$ for the membrane with $\tau = \tau_m$.

    Parameters
    ----------
    tau : float, array_like or Quantity
        Time constant [ms].
    h : float, array_like or Quantity
        Step size [ms].

    Returns
    -------
    jax.Array
        The dimensionless factor, broadcast over the arguments.

    Examples
    --------
    >>> from spikax import propagators
    >>> round(float(propagators.decay(10.0, 0.1)), 6)
    0.99005
    """
    (tau, h), _, out = _prepare("decay", (tau, MS, "tau"), (h, MS, "h"))
    return _decay(tau, h).astype(out)


def decay_expm1(tau, h):
    r"""Decay factor minus one, $e^{-h/\tau} - 1$, without cancellation.

    $$P - 1 = \operatorname{expm1}(-h/\tau)$$

    NEST's ``iaf_psc_*`` models update the membrane as ``V += (P33 - 1) * V + ...`` with
    this value; use it to reproduce their rounding exactly.

    Parameters
    ----------
    tau : float, array_like or Quantity
        Time constant [ms].
    h : float, array_like or Quantity
        Step size [ms].

    Returns
    -------
    jax.Array
        The dimensionless value (negative for ``h > 0``).

    Examples
    --------
    >>> from spikax import propagators
    >>> round(float(propagators.decay_expm1(10.0, 0.1)), 7)
    -0.0099502
    """
    (tau, h), _, out = _prepare("decay_expm1", (tau, MS, "tau"), (h, MS, "h"))
    return _decay_expm1(tau, h).astype(out)


def alpha_decay(tau_syn, h):
    r"""Propagator entries of an alpha-shaped current, $(P_{11}, P_{21})$.

    For $\dot y_1 = -y_1/\tau_s$, $\dot y_2 = y_1 - y_2/\tau_s$:

    $$P_{11} = P_{22} = e^{-h/\tau_s}, \qquad P_{21} = h\, e^{-h/\tau_s}$$

    so one step is ``I = P21 * dI + P22 * I`` followed by ``dI = P11 * dI``.

    Parameters
    ----------
    tau_syn : float, array_like or Quantity
        Synaptic time constant $\tau_s$ [ms].
    h : float, array_like or Quantity
        Step size [ms].

    Returns
    -------
    P11 : jax.Array
        Dimensionless; equals $P_{22}$.
    P21 : jax.Array
        In ms (maps $y_1$ [pA/ms] to $y_2$ [pA]).

    Examples
    --------
    >>> from spikax import propagators
    >>> p11, p21 = propagators.alpha_decay(2.0, 0.1)
    >>> round(float(p11), 6), round(float(p21), 6)
    (0.951229, 0.095123)
    """
    (tau_syn, h), _, out = _prepare("alpha_decay", (tau_syn, MS, "tau_syn"), (h, MS, "h"))
    p11, p21 = _alpha_decay(tau_syn, h)
    return p11.astype(out), p21.astype(out)


def membrane_propagators(tau_m, c_m, h):
    r"""Membrane propagator entries $(P_{33}, P_{30})$ of a leaky integrator.

    For $\dot V = -V/\tau_m + I_0/C$ with $I_0$ constant over the step:

    $$P_{33} = e^{-h/\tau_m}, \qquad
      P_{30} = \frac{\tau_m}{C}\left(1 - e^{-h/\tau_m}\right)
             = -\frac{\tau_m}{C}\operatorname{expm1}(-h/\tau_m)$$

    so one step is ``V = P33 * V + P30 * I0``.

    Parameters
    ----------
    tau_m : float, array_like or Quantity
        Membrane time constant [ms].
    c_m : float, array_like or Quantity
        Membrane capacitance [pF].
    h : float, array_like or Quantity
        Step size [ms].

    Returns
    -------
    P33 : jax.Array
        Dimensionless.
    P30 : jax.Array
        In mV/pA (= ms/pF).

    Examples
    --------
    >>> from spikax import propagators
    >>> p33, p30 = propagators.membrane_propagators(10.0, 250.0, 0.1)
    >>> round(float(p33), 6), round(float(p30), 8)
    (0.99005, 0.00039801)
    """
    (tau_m, c_m, h), _, out = _prepare(
        "membrane_propagators", (tau_m, MS, "tau_m"), (c_m, PF, "c_m"), (h, MS, "h")
    )
    p33, p30 = _membrane(tau_m, c_m, h)
    return p33.astype(out), p30.astype(out)


# ----------------------------------------------------------------------------------------
# stable evaluation: phi-functions of z <= 0
# ----------------------------------------------------------------------------------------


def _series(z, coefficients):
    acc = jnp.zeros_like(z) + coefficients[-1]
    for c in coefficients[-2::-1]:
        acc = acc * z + c
    return acc


def _phis(z, *, need_p31):
    r"""$\varphi_1(z)$ and, if asked, $\varphi_2(z)$ and $\psi(z)$ for $z \le 0$.

    $\varphi_1 = (e^z-1)/z$, $\varphi_2 = (e^z-1-z)/z^2$, $\psi = (z e^z - e^z + 1)/z^2$,
    all in $(0, 1]$ for $z \le 0$. Near 0 the Taylor series of $\varphi_2$ is summed and
    $\varphi_1 = 1 + z\varphi_2$, $\psi = \varphi_1 - \varphi_2$ (no cancellation there);
    elsewhere the closed forms. Each branch is evaluated at an argument that is harmless
    where its result is discarded ("double where"), so no inf/nan reaches values or
    derivatives.
    """
    n = _SERIES_TERMS.get(jnp.dtype(z.dtype).itemsize, 16)
    small = z > -_SERIES_RADIUS
    z_s = jnp.where(small, z, jnp.zeros_like(z))
    z_c = jnp.where(small, -jnp.ones_like(z), z)
    phi2_s = _series(z_s, [1.0 / math.factorial(k + 2) for k in range(n)])
    phi1_s = 1.0 + z_s * phi2_s
    em1 = jnp.expm1(z_c)
    phi1 = jnp.where(small, phi1_s, em1 / z_c)
    if not need_p31:
        return phi1, None, None
    z2 = z_c * z_c
    phi2 = jnp.where(small, phi2_s, (em1 - z_c) / z2)
    psi = jnp.where(small, phi1_s - phi2_s, (z_c * jnp.exp(z_c) - em1) / z2)
    return phi1, phi2, psi


def _stable(tau_syn, tau_m, c_m, h, *, need_p31):
    # x = h/tau_s - h/tau_m, computed from the exact difference tau_m - tau_s.
    x = h * (tau_m - tau_syn) / (tau_syn * tau_m)
    syn_slower = x < 0
    # Factor out the slower of the two decays, so that only exp(z) with z = -|x| <= 0
    # appears: nothing overflows and the prefactor is exp(-h / max(tau_s, tau_m)).
    z = jnp.where(syn_slower, x, -x)
    slow = jnp.exp(-h / jnp.where(syn_slower, tau_syn, tau_m))
    phi1, phi2, psi = _phis(z, need_p31=need_p31)
    p32 = h / c_m * slow * phi1
    if not need_p31:
        return p32
    p31 = h * h / c_m * slow * jnp.where(syn_slower, phi2, psi)
    return p31, p32


def _stable_alpha(tau_syn, tau_m, c_m, h):
    return _stable(tau_syn, tau_m, c_m, h, need_p31=True)


def _stable_exp(tau_syn, tau_m, c_m, h):
    return _stable(tau_syn, tau_m, c_m, h, need_p31=False)


# ----------------------------------------------------------------------------------------
# NEST's evaluation, same operations in the same order as iaf_propagator.cpp
# ----------------------------------------------------------------------------------------

_VELTKAMP_SPLIT = 134217729.0  # 2**27 + 1, splits a float64 into two 26-bit halves
_EXPM1_TAIL = tuple(1.0 / math.factorial(k) for k in range(3, 20))


def _expm1_nest(y):
    r"""``expm1`` correctly rounded, as glibc's and NumPy's are in all but rare near-ties.

    NEST's regular $P_{31}$ formula, $\beta\,\mathrm{expm1}(y) - h$ with $h = \beta y$,
    amplifies a one-ulp difference in $\mathrm{expm1}(y)$ by about $2/|y|$ (up to ~1e7
    next to NEST's switch), and XLA's ``expm1`` is not always correctly rounded. So for
    float64 and $|y| < 0.5$ it is summed here as $y + y^2/2 + y^3(1/3! + y/4! + \dots)$ with
    $y^2$ split exactly (Dekker) and the two leading terms added exactly (two-sum), which
    rounds correctly except in rare near-tie cases for $|y| \gtrsim 0.1$, where the
    amplification is below 20. Other dtypes and $|y| \ge 0.5$ use ``jnp.expm1``.
    """
    if y.dtype != jnp.float64:
        return jnp.expm1(y)
    small = jnp.abs(y) < 0.5
    ys = jnp.where(small, y, jnp.zeros_like(y))
    # y*y = p + e exactly
    c = _VELTKAMP_SPLIT * ys
    hi = c - (c - ys)
    lo = ys - hi
    p = ys * ys
    e = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo
    # y + p/2 = s + t exactly
    half_p = 0.5 * p
    s = ys + half_p
    b = s - ys
    t = (ys - (s - b)) + (half_p - b)
    r = ys * p * _series(ys, _EXPM1_TAIL)
    return jnp.where(small, s + (t + (0.5 * e + r)), jnp.expm1(y))


def _nest(tau_syn, tau_m, c_m, h, *, need_p31):
    dtau = tau_m - tau_syn
    h_min_regular = _NEST_STABILITY_FACTOR * tau_m * tau_m / jnp.abs(dtau)  # inf if equal
    beta = tau_syn * tau_m / dtau  # inf if equal
    gamma = beta / c_m
    inv_tau_syn = 1 / tau_syn
    inv_tau_m = 1 / tau_m
    inv_c_m = 1 / c_m
    inv_beta = dtau / (tau_syn * tau_m)  # 0 if equal
    exp_h_tau_syn = jnp.exp(-h * inv_tau_syn)
    expm1_h_tau = _expm1_nest(h * inv_beta)
    exp_h_tau = jnp.exp(-h * inv_tau_m)

    p32_regular = gamma * exp_h_tau_syn * expm1_h_tau
    # std::isnormal(P32) and P32 > 0
    p32_ok = jnp.isfinite(p32_regular) & (p32_regular >= jnp.finfo(p32_regular.dtype).tiny)
    p32 = jnp.where(p32_ok, p32_regular, h * inv_c_m * exp_h_tau)
    if not need_p31:
        return p32
    regular = h > h_min_regular
    # NEST rounds beta * expm1 before subtracting h; a fused multiply-add (which XLA:CPU
    # emits under jit) rounds once, a difference the cancellation amplifies up to ~1e7-fold.
    # A select between the product and a non-constant value sits between the two and is not
    # folded away (optimization_barrier is dropped by some XLA versions, and a select with
    # a constant arm is folded into the subtraction when h is a compile-time constant).
    beta_expm1 = jnp.where(regular, beta * expm1_h_tau, h_min_regular)
    p31_regular = gamma * exp_h_tau_syn * (beta_expm1 - h)
    p31_singular = 0.5 * h * h * inv_c_m * exp_h_tau
    p31 = jnp.where(regular, p31_regular, p31_singular)
    return p31, p32


# The forward values follow NEST; derivatives are those of the exact function, taken from
# the stable form. NEST's value is piecewise (with a ~1e-7 jump at its P31 switch) and
# its raw formulas are inf/nan at tau_s == tau_m, so they are never differentiated.


@jax.custom_jvp
def _nest_alpha(tau_syn, tau_m, c_m, h):
    return _nest(tau_syn, tau_m, c_m, h, need_p31=True)


@_nest_alpha.defjvp
def _nest_alpha_jvp(primals, tangents):
    _, tangent_out = jax.jvp(_stable_alpha, primals, tangents)
    return _nest_alpha(*primals), tangent_out


@jax.custom_jvp
def _nest_exp(tau_syn, tau_m, c_m, h):
    return _nest(tau_syn, tau_m, c_m, h, need_p31=False)


@_nest_exp.defjvp
def _nest_exp_jvp(primals, tangents):
    _, tangent_out = jax.jvp(_stable_exp, primals, tangents)
    return _nest_exp(*primals), tangent_out


# Compiled as one XLA computation each (also when called eagerly: op-by-op dispatch of
# these ~150 element-wise operations would compile each one separately).
_ALPHA = {"nest": jax.jit(_nest_alpha), "stable": jax.jit(_stable_alpha)}
_EXP = {"nest": jax.jit(_nest_exp), "stable": jax.jit(_stable_exp)}


# ----------------------------------------------------------------------------------------
# public propagators
# ----------------------------------------------------------------------------------------


def iaf_propagator_alpha(tau_syn, tau_m, c_m, h, *, mode=None):
    r"""Propagators $(P_{31}, P_{32})$ from an alpha current to the membrane potential.

    Entries $P_{31} = (e^{Ah})_{31}$ (from $y_1 = \dot I$) and $P_{32} = (e^{Ah})_{32}$
    (from $y_2 = I$) of the system in the module docstring. With
    $x = h/\tau_s - h/\tau_m$,

    $$P_{32} = \frac{h}{C}\, e^{-h/\tau_s}\, \varphi_1(x), \qquad
      P_{31} = \frac{h^2}{C}\, e^{-h/\tau_s}\, \varphi_2(x),$$

    $$\varphi_1(x) = \frac{e^x - 1}{x}, \qquad \varphi_2(x) = \frac{e^x - 1 - x}{x^2},$$

    which tend to $\frac{h}{C}e^{-h/\tau_m}$ and $\frac{h^2}{2C}e^{-h/\tau_m}$ at
    $\tau_s = \tau_m$.

    ``mode='nest'`` evaluates NEST's ``IAFPropagatorAlpha``: with
    $\beta = \tau_s\tau_m/(\tau_m - \tau_s)$ and $\gamma = \beta/C$,

    $$P_{32} = \gamma\, e^{-h/\tau_s} \operatorname{expm1}(h/\beta), \qquad
      P_{31} = \gamma\, e^{-h/\tau_s} \left(\beta \operatorname{expm1}(h/\beta) - h\right),$$

    where $P_{32}$ falls back to $\frac{h}{C}e^{-h/\tau_m}$ unless the formula gives a
    normal positive number, and $P_{31}$ falls back to $\frac{h^2}{2C}e^{-h/\tau_m}$ unless
    $h > 10^{-7}\tau_m^2/|\tau_m - \tau_s|$. In float64 this reproduces NEST to rounding
    (away from that switch the result is also exact to ~1e-12; next to it NEST's choice
    leaves a relative error up to ~1e-7).

    ``mode='stable'`` factors out the slower decay, $e^{-h/\max(\tau_s, \tau_m)}$, and
    evaluates $\varphi_1$, $\varphi_2$ and
    $\psi(z) = e^{z}\varphi_2(-z) = (z e^z - e^z + 1)/z^2$ at $z = -|x| \le 0$ (Taylor
    series for $|z| < 0.5$): a few ulps of relative error in any dtype, smooth through
    $\tau_s = \tau_m$, no overflow for large $h/\tau$.

    Parameters
    ----------
    tau_syn : float, array_like or Quantity
        Synaptic time constant $\tau_s$ [ms], > 0.
    tau_m : float, array_like or Quantity
        Membrane time constant $\tau_m$ [ms], > 0.
    c_m : float, array_like or Quantity
        Membrane capacitance $C$ [pF], > 0.
    h : float, array_like or Quantity
        Step size [ms], >= 0.
    mode : {None, 'nest', 'stable'}, optional
        Evaluation, see above. ``None`` (default) is ``'nest'`` for float64 arguments and
        ``'stable'`` otherwise.

    Returns
    -------
    P31 : jax.Array
        In mV/(pA/ms) (multiplies $\dot I$ [pA/ms]).
    P32 : jax.Array
        In mV/pA (multiplies $I$ [pA]).

    Notes
    -----
    Derivatives (``jax.grad``, ``jvp``, ``vjp``) with respect to every argument are those of
    the exact propagator, in both modes: finite and accurate everywhere, including
    $\tau_s = \tau_m$ exactly. Arguments broadcast against each other.

    Examples
    --------
    >>> from spikax import propagators
    >>> p31, p32 = propagators.iaf_propagator_alpha(10.0, 10.0, 100.0, 0.1)
    >>> round(float(p31), 10), round(float(p32), 8)
    (4.95025e-05, 0.00099005)

    Per-neuron parameters broadcast, and Quantities are accepted:

    >>> import saiunit as u
    >>> p31, p32 = propagators.iaf_propagator_alpha(
    ...     [2.0, 5.0] * u.ms, 0.01 * u.second, 0.25 * u.nF, 0.1 * u.ms)
    >>> [round(v, 8) for v in p32.tolist()]
    [0.0003882, 0.00039405]
    """
    owner = "iaf_propagator_alpha"
    (tau_syn, tau_m, c_m, h), dtype, out = _prepare(
        owner, (tau_syn, MS, "tau_syn"), (tau_m, MS, "tau_m"), (c_m, PF, "c_m"), (h, MS, "h")
    )
    p31, p32 = _ALPHA[_resolve_mode(mode, dtype, owner)](tau_syn, tau_m, c_m, h)
    return p31.astype(out), p32.astype(out)


def iaf_propagator_exp(tau_syn, tau_m, c_m, h, *, mode=None):
    r"""Propagator $P_{32}$ from an exponentially decaying current to the membrane potential.

    For $\dot I = -I/\tau_s$, $\dot V = -V/\tau_m + I/C$, one step adds $P_{32} I$ to
    $V$, with $x = h/\tau_s - h/\tau_m$:

    $$P_{32} = \frac{h}{C}\, e^{-h/\tau_s}\, \frac{e^{x} - 1}{x}
             = \frac{\tau_s \tau_m}{C(\tau_m - \tau_s)}
               \left(e^{-h/\tau_m} - e^{-h/\tau_s}\right),$$

    tending to $\frac{h}{C}e^{-h/\tau_m}$ at $\tau_s = \tau_m$. This is the same entry as
    the second output of :func:`iaf_propagator_alpha`.

    ``mode='nest'`` evaluates NEST's ``IAFPropagatorExp``,
    $P_{32} = \gamma\, e^{-h/\tau_s}\operatorname{expm1}(h/\beta)$ with
    $\beta = \tau_s\tau_m/(\tau_m - \tau_s)$, $\gamma = \beta/C$, falling back to the
    limit unless that is a normal positive number. ``mode='stable'`` uses
    $\frac{h}{C}e^{-h/\max(\tau_s,\tau_m)}\varphi_1(-|x|)$. Both are accurate to a few ulps
    in float64.

    Parameters
    ----------
    tau_syn : float, array_like or Quantity
        Synaptic time constant $\tau_s$ [ms], > 0.
    tau_m : float, array_like or Quantity
        Membrane time constant $\tau_m$ [ms], > 0.
    c_m : float, array_like or Quantity
        Membrane capacitance $C$ [pF], > 0.
    h : float, array_like or Quantity
        Step size [ms], >= 0.
    mode : {None, 'nest', 'stable'}, optional
        ``None`` (default) is ``'nest'`` for float64 arguments and ``'stable'`` otherwise.

    Returns
    -------
    jax.Array
        $P_{32}$ in mV/pA. Derivatives are exact-function derivatives, as in
        :func:`iaf_propagator_alpha`.

    Examples
    --------
    >>> from spikax import propagators
    >>> round(float(propagators.iaf_propagator_exp(2.0, 10.0, 250.0, 0.1)), 8)
    0.0003882
    """
    owner = "iaf_propagator_exp"
    (tau_syn, tau_m, c_m, h), dtype, out = _prepare(
        owner, (tau_syn, MS, "tau_syn"), (tau_m, MS, "tau_m"), (c_m, PF, "c_m"), (h, MS, "h")
    )
    return _EXP[_resolve_mode(mode, dtype, owner)](tau_syn, tau_m, c_m, h).astype(out)
