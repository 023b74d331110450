r"""Surrogate gradients for spiking neurons.

A spiking neuron emits a spike when its (shifted) membrane potential ``x`` crosses zero, i.e.
its output is the Heaviside step function of ``x``. The step has a zero derivative almost
everywhere, so gradient-based training replaces its derivative by a smooth *surrogate
gradient* :math:`g(x)`, a straight-through estimator:

* **forward**: :func:`heaviside`, :math:`H(x) = 1` for :math:`x \ge 0` (``-0.0`` and ``0.0``
  included) and :math:`0` otherwise, in the floating dtype of ``x``;
* **backward**: :math:`\partial H / \partial x := g(x)`, chosen by the surrogate.

This module mirrors :mod:`braintools.surrogate`: the same 18 surrogates with the same class
names, snake_case functional twins, parameter names, positional order, defaults and gradient
formulas. Each class ``C`` has a function ``c(x, **params)`` equal to ``C(**params)(x)``.

Differences from braintools
---------------------------
* The mechanism is a single :func:`jax.custom_jvp` (no custom primitive), so forward mode
  (:func:`jax.jvp`), reverse mode (:func:`jax.grad`), :func:`jax.vmap` and :func:`jax.jit`
  all work, as do higher-order derivatives.
* Hyperparameters (``alpha``, ``sigma``, ...) are ordinary array arguments of that
  ``custom_jvp``: they may be traced, batched with :func:`jax.vmap`, and a jitted function
  that takes them (or a surrogate instance) as arguments is not recompiled when their values
  change. The derivative of the output with respect to a hyperparameter is exactly ``0``
  (the step does not depend on it), as in braintools 0.4 (braintools 0.3 returned the
  derivative of the surrogate gradient instead).
* Second derivatives in ``x`` are the derivatives of the surrogate gradient, as in
  braintools 0.4 (braintools 0.3 returned ``0``).
* Every surrogate class is a JAX pytree whose leaves are its numeric hyperparameters, so an
  instance can be passed straight through ``jax.jit``/``jax.vmap``/``jax.grad``.
* Every class has a :meth:`~Surrogate.surrogate_fun` (braintools lacks it for
  :class:`ReluGrad`, :class:`GaussianGrad`, :class:`MultiGaussianGrad`,
  :class:`InvSquareGrad` and :class:`SlayerGrad`), whose derivative is exactly
  :meth:`~Surrogate.surrogate_grad`, including at ``x = 0`` under :func:`jax.grad`. The
  smooth functions added here are :math:`F(x) = \tfrac12 + \int_0^x g(t)\,dt`, so they go
  from :math:`0` to :math:`1` whenever :math:`g` integrates to one.
* Integer and boolean inputs are promoted to JAX's default floating dtype (as in
  braintools 0.4; braintools 0.3 returns integers).
* Surrogates compare and hash by value (class and parameters).

Examples
--------
>>> import jax, jax.numpy as jnp
>>> from spikax import surrogate
>>> surrogate.sigmoid(jnp.array([-0.5, 0.0, 0.5])).tolist()
[0.0, 1.0, 1.0]
>>> float(jax.grad(surrogate.sigmoid)(0.0))  # alpha / 4 with the default alpha = 4
1.0
>>> sg = surrogate.PiecewiseQuadratic(alpha=2.0)
>>> sg
PiecewiseQuadratic(alpha=2.0)
>>> jax.vmap(jax.grad(sg))(jnp.array([-1.0, -0.25, 0.0, 0.25])).tolist()
[0.0, 1.0, 2.0, 1.0]

Hyperparameters can be traced and batched:

>>> alphas = jnp.array([1.0, 2.0, 4.0])
>>> jax.vmap(lambda a: jax.grad(surrogate.soft_sign)(0.0, a))(alphas).tolist()
[0.5, 1.0, 2.0]
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from jax.scipy.special import erf as _erf
from jax.scipy.special import expit as _expit
from jax.typing import ArrayLike

__all__ = [
    "heaviside",
    "crossing",
    "crossing_tangent",
    "Surrogate",
    "Sigmoid",
    "sigmoid",
    "PiecewiseQuadratic",
    "piecewise_quadratic",
    "PiecewiseExp",
    "piecewise_exp",
    "SoftSign",
    "soft_sign",
    "Arctan",
    "arctan",
    "NonzeroSignLog",
    "nonzero_sign_log",
    "ERF",
    "erf",
    "PiecewiseLeakyRelu",
    "piecewise_leaky_relu",
    "SquarewaveFourierSeries",
    "squarewave_fourier_series",
    "S2NN",
    "s2nn",
    "QPseudoSpike",
    "q_pseudo_spike",
    "LeakyRelu",
    "leaky_relu",
    "LogTailedRelu",
    "log_tailed_relu",
    "ReluGrad",
    "relu_grad",
    "GaussianGrad",
    "gaussian_grad",
    "MultiGaussianGrad",
    "multi_gaussian_grad",
    "InvSquareGrad",
    "inv_square_grad",
    "SlayerGrad",
    "slayer_grad",
]

_SQRT_2 = math.sqrt(2.0)


# ---------------------------------------------------------------------------------------------
# Forward pass
# ---------------------------------------------------------------------------------------------


def _as_float(x: ArrayLike) -> jax.Array:
    """``x`` as a JAX array of floating dtype (integers and booleans -> default float)."""
    x = jnp.asarray(x)
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise TypeError(f"surrogate spike functions need real input; got dtype {x.dtype}.")
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def heaviside(x: ArrayLike) -> jax.Array:
    r"""Heaviside step function with :math:`H(0) = 1`: the forward pass of every surrogate.

    .. math::

        H(x) = \begin{cases} 1, & x \ge 0 \\ 0, & x < 0 \end{cases}

    Both ``0.0`` and ``-0.0`` give ``1`` (they compare equal to zero); ``nan`` gives ``0``.

    Parameters
    ----------
    x : array_like
        Input, typically membrane potential minus threshold. Integer and boolean inputs are
        promoted to JAX's default floating dtype (``float32``, or ``float64`` with x64
        enabled); floating inputs keep their dtype.

    Returns
    -------
    jax.Array
        ``1.0`` where ``x >= 0`` and ``0.0`` elsewhere, with the shape of ``x``. This plain
        function has a zero derivative; the surrogates attach a surrogate gradient to it.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from spikax.surrogate import heaviside
    >>> heaviside(jnp.array([-1.0, -0.0, 0.0, 2.0])).tolist()
    [0.0, 1.0, 1.0, 1.0]
    >>> heaviside(jnp.array([-3, 0, 5])).dtype == jnp.result_type(float)
    True
    """
    x = _as_float(x)
    return (x >= 0).astype(x.dtype)


# ---------------------------------------------------------------------------------------------
# The single custom_jvp behind every surrogate
# ---------------------------------------------------------------------------------------------


@functools.partial(jax.custom_jvp, nondiff_argnums=(0, 1))
def _spike(grad_fn, static, x, *hyper):
    """``heaviside(x)`` whose derivative in ``x`` is ``grad_fn(static, x, *hyper)``.

    ``grad_fn`` and ``static`` are non-differentiable Python objects (a function and a
    hashable description of the surrogate); ``hyper`` are the numeric hyperparameters, passed
    as ordinary (possibly traced or batched) arguments.
    """
    del grad_fn, static, hyper
    return heaviside(x)


@_spike.defjvp
def _spike_jvp(grad_fn, static, primals, tangents):
    x, *hyper = primals
    x_dot = tangents[0]
    # Tangents of the hyperparameters are ignored: the step does not depend on them.
    g = jnp.broadcast_to(grad_fn(static, x, *hyper), jnp.shape(x))
    return heaviside(x), (g * x_dot).astype(x_dot.dtype)


def _scaled(v, threshold, scale):
    return (v - threshold) / scale


@functools.partial(jax.custom_jvp, nondiff_argnums=(0, 1, 2))
def _crossing(grad_fn, static, zero, v, threshold, scale, *hyper):
    """``heaviside((v - threshold) / scale)`` for ``scale > 0``, evaluated as ``v >= threshold``
    (``zero``: ``0.0`` instead, a carrier of the derivative alone).

    Its derivative is ``grad_fn(static, x, *hyper)`` times the derivative of
    ``x = (v - threshold) / scale`` (in all three arguments).
    """
    del grad_fn, static, hyper
    return _crossing_value(v, threshold, scale, zero)


def _crossing_value(v, threshold, scale, zero):
    shape = jnp.broadcast_shapes(jnp.shape(v), jnp.shape(threshold), jnp.shape(scale))
    dtype = jnp.result_type(v, threshold, scale)
    if zero:
        return jnp.zeros(shape, dtype)
    return jnp.broadcast_to(v >= threshold, shape).astype(dtype)


@_crossing.defjvp
def _crossing_jvp(grad_fn, static, zero, primals, tangents):
    v, threshold, scale, *hyper = primals
    x, x_dot = jax.jvp(_scaled, (v, threshold, scale), tuple(tangents[:3]))
    g = jnp.broadcast_to(grad_fn(static, x, *hyper), jnp.shape(x))
    return _crossing_value(v, threshold, scale, zero), (g * x_dot).astype(x_dot.dtype)


def crossing(spk_fun: Callable, v: ArrayLike, threshold: ArrayLike,
             scale: ArrayLike = 1.0) -> jax.Array:
    r"""``spk_fun((v - threshold) / scale)`` for a positive ``scale``, as one comparison.

    This is the spike output of a threshold neuron, e.g. ``crossing(spk_fun, V, V_th,
    V_th - V_reset)``. For a :class:`Surrogate` (whose ``__call__`` is not overridden) the
    forward value is computed as ``v >= threshold``, which equals
    :math:`H((v - \theta)/c)` for every :math:`c > 0` (a floating-point difference is zero
    only when its operands are equal, and dividing by a positive number keeps its sign),
    while the derivative is the surrogate gradient at :math:`x = (v - \theta)/c` times the
    derivative of :math:`x`, exactly as for the composed call. The neuron models evaluate it
    once or twice per step, so the subtraction and division it saves are a noticeable part
    of a compute-bound step. Any other callable is simply called on ``(v - threshold) /
    scale``.

    ``scale`` must be positive (the models guarantee it through ``V_th > V_reset``); it is
    not checked here, since it may be traced.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> sg = surrogate.Sigmoid()
    >>> v = jnp.array([0.5, 1.0, 1.5])
    >>> surrogate.crossing(sg, v, 1.0, 2.0).tolist()
    [0.0, 1.0, 1.0]
    >>> float(jax.grad(lambda v: surrogate.crossing(sg, v, 1.0, 2.0))(1.0))  # g(0) / 2
    0.5
    """
    return _crossing_call(spk_fun, v, threshold, scale, zero=False)


def crossing_tangent(spk_fun: Callable, v: ArrayLike, threshold: ArrayLike,
                     scale: ArrayLike = 1.0) -> jax.Array:
    r"""Zero in value, with the derivative of ``crossing(spk_fun, v, threshold, scale)``.

    Adding it to a spike decided by another rule gives that spike the surrogate gradient:
    NEST's models fire on the strict test :math:`v > \theta`, so a strict spike with a
    surrogate gradient is ``(v > threshold).astype(float) + crossing_tangent(...)``. For a
    :class:`Surrogate` the value is a constant zero, which costs nothing in the forward
    pass; for other callables it is ``s - stop_gradient(s)`` with ``s`` the composed call.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> sg = surrogate.Sigmoid()
    >>> float(surrogate.crossing_tangent(sg, 1.0, 1.0, 2.0))
    0.0
    >>> float(jax.grad(lambda v: surrogate.crossing_tangent(sg, v, 1.0, 2.0))(1.0))
    0.5
    """
    return _crossing_call(spk_fun, v, threshold, scale, zero=True)


def _crossing_call(spk_fun, v, threshold, scale, *, zero: bool):
    if not (isinstance(spk_fun, Surrogate) and type(spk_fun).__call__ is Surrogate.__call__):
        s = spk_fun((v - threshold) / scale)
        return s - jax.lax.stop_gradient(s) if zero else s
    v, threshold, scale = (jnp.asarray(a) for a in (v, threshold, scale))
    dtype = jnp.result_type(v, threshold, scale)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    v, threshold, scale = (a.astype(dtype) for a in (v, threshold, scale))
    leaves, treedef = jax.tree_util.tree_flatten(spk_fun)
    spk_fun._check_hyper(leaves, jnp.broadcast_shapes(v.shape, threshold.shape, scale.shape))
    return _crossing(_grad_from_tree, treedef, zero, v, threshold, scale, *leaves)


def _grad_from_tree(treedef, x, *leaves):
    """Rebuild the surrogate from its pytree parts and evaluate its surrogate gradient."""
    return jax.tree_util.tree_unflatten(treedef, leaves).surrogate_grad(x)


# ---------------------------------------------------------------------------------------------
# Pytree / value semantics helpers
# ---------------------------------------------------------------------------------------------


def _is_hyper(value: Any) -> bool:
    """Whether an attribute value is a numeric hyperparameter (a pytree leaf)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, complex)):
        return True
    return hasattr(value, "shape") and hasattr(value, "dtype")  # arrays, tracers, np scalars


# Instance attribute recording which attributes are pytree leaves. It is set on instances
# rebuilt from a pytree, whose leaves may hold anything (``None``, shape structs, ...), so
# that their tree structure stays that of the original instance.
_LEAF_NAMES = "_surrogate_leaf_names"


def _params(obj) -> dict:
    """The parameters (instance attributes) of a surrogate."""
    return {k: v for k, v in vars(obj).items() if k != _LEAF_NAMES}


def _split(obj: Surrogate):
    """Split an instance's attributes into hyperparameter leaves and static items."""
    params = _params(obj)
    names = vars(obj).get(_LEAF_NAMES)
    if names is None:
        static_names = type(obj).static_fields
        names = tuple(k for k, v in params.items() if k not in static_names and _is_hyper(v))
    leaves = [params[k] for k in names]
    static = tuple((k, v) for k, v in params.items() if k not in names)
    return names, leaves, (names, static)


def _flatten(obj):
    _, leaves, aux = _split(obj)
    return leaves, aux


def _flatten_with_keys(obj):
    names, leaves, aux = _split(obj)
    return [(jax.tree_util.GetAttrKey(n), v) for n, v in zip(names, leaves)], aux


def _unflatten(cls, aux, leaves):
    names, static = aux
    obj = object.__new__(cls)
    obj.__dict__.update(static)
    obj.__dict__.update(zip(names, leaves))
    obj.__dict__[_LEAF_NAMES] = names
    return obj


def _register(cls) -> None:
    jax.tree_util.register_pytree_with_keys(
        cls, _flatten_with_keys, functools.partial(_unflatten, cls), _flatten
    )


class _ByIdentity:
    """Comparison key for values that cannot be compared by value (e.g. tracers)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return isinstance(other, _ByIdentity) and self.obj is other.obj

    def __hash__(self):
        return id(self.obj)


def _flatten_list(value):
    if isinstance(value, list):
        return tuple(v for item in value for v in _flatten_list(item))
    return (value,)


def _value_key(value: Any):
    """Hashable key that is equal for equal parameter values."""
    if hasattr(value, "shape") and hasattr(value, "dtype") and hasattr(value, "tolist"):
        try:
            data = value.tolist()  # fails for tracers
        except Exception:
            return _ByIdentity(value)
        if not isinstance(data, list):
            return data  # 0-d arrays compare equal to the Python scalar they hold
        return ("array", tuple(value.shape), _flatten_list(data))
    try:
        hash(value)
    except TypeError:
        return _ByIdentity(value)
    return value


def _params_key(obj) -> tuple:
    return tuple(sorted((name, _value_key(v)) for name, v in _params(obj).items()))


# ---------------------------------------------------------------------------------------------
# Base class
# ---------------------------------------------------------------------------------------------


class Surrogate:
    r"""Base class of surrogate spike functions.

    Calling an instance on ``x`` returns :func:`heaviside` ``(x)``, whose derivative with respect
    to ``x`` is :meth:`surrogate_grad` ``(x)`` (forward and reverse mode). Its derivative with
    respect to the hyperparameters is ``0``.

    Notes
    -----
    To write a surrogate, subclass :class:`Surrogate`, store the hyperparameters as instance
    attributes in ``__init__`` and implement :meth:`surrogate_grad` (and, optionally,
    :meth:`surrogate_fun`, the smooth function whose derivative it is). The gradient may use
    any ``jnp`` operations, ``jnp.where`` included.

    Every subclass is registered as a JAX pytree automatically:

    * attributes holding numbers (``int``/``float``, not ``bool``) or arrays are the
      *hyperparameters*: the pytree leaves. They are passed to the underlying
      :func:`jax.custom_jvp` as arrays, so they can be traced (e.g. ``Sigmoid(alpha)`` inside
      a function jitted over ``alpha``) and batched with :func:`jax.vmap`, and a jitted
      function that takes the surrogate as an argument is not retraced when they change;
    * all other attributes, and those named in the class attribute ``static_fields``, are
      *static* (compile-time) data; they must be hashable. Use ``static_fields`` for integers
      used as Python loop counts (as :class:`SquarewaveFourierSeries` does for ``n``).

    Inside :meth:`surrogate_grad` a hyperparameter may be a Python scalar, a JAX scalar or a
    traced array; it must broadcast to the shape of ``x`` (the result has ``x``'s shape).
    Attributes must live in the instance ``__dict__`` (no ``__slots__``).

    Instances compare and hash by value (same class, equal attributes), so equal surrogates
    can also serve as static arguments of :func:`jax.jit`. ``repr`` lists the attributes.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> class Tanh(surrogate.Surrogate):
    ...     def __init__(self, alpha=2.0):
    ...         self.alpha = alpha
    ...
    ...     def surrogate_grad(self, x):
    ...         return 0.5 * self.alpha * (1.0 - jnp.tanh(self.alpha * x) ** 2)
    >>> spk = Tanh(alpha=2.0)
    >>> spk
    Tanh(alpha=2.0)
    >>> spk(jnp.array([-1.0, 0.0, 1.0])).tolist()
    [0.0, 1.0, 1.0]
    >>> float(jax.grad(spk)(0.0))
    1.0
    >>> jax.jit(lambda s, x: jax.grad(s)(x))(Tanh(alpha=4.0), 0.0).tolist()
    2.0
    """

    #: Names of attributes that are static (compile-time) data even if they hold numbers.
    static_fields: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _register(cls)

    def __call__(self, x: ArrayLike) -> jax.Array:
        """Heaviside step of ``x`` carrying the surrogate gradient.

        Parameters
        ----------
        x : array_like
            Input (e.g. membrane potential minus threshold). Integer and boolean inputs are
            promoted to the default floating dtype.

        Returns
        -------
        jax.Array
            ``heaviside(x)``: same shape and floating dtype as ``x``.
        """
        x = _as_float(x)
        leaves, treedef = jax.tree_util.tree_flatten(self)
        self._check_hyper(leaves, x.shape)
        return _spike(_grad_from_tree, treedef, x, *leaves)

    def _check_hyper(self, leaves, shape) -> None:
        """Every hyperparameter must broadcast to the input ``shape``."""
        for leaf in leaves:
            leaf_shape = jnp.shape(leaf)
            try:
                ok = jnp.broadcast_shapes(leaf_shape, shape) == tuple(shape)
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(
                    f"{type(self).__name__}: hyperparameter of shape {leaf_shape} does not "
                    f"broadcast to the input shape {tuple(shape)}."
                )

    def surrogate_grad(self, x: jax.Array) -> jax.Array:
        """The surrogate gradient :math:`g(x)` used as the derivative of the step."""
        raise NotImplementedError(f"{type(self).__name__} does not define surrogate_grad.")

    def surrogate_fun(self, x: jax.Array) -> jax.Array:
        """The smooth function whose derivative is :meth:`surrogate_grad` (for analysis)."""
        raise NotImplementedError(f"{type(self).__name__} does not define surrogate_fun.")

    def __repr__(self) -> str:
        params = ", ".join(
            f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in _params(self).items()
        )
        return f"{type(self).__name__}({params})"

    def __eq__(self, other):
        if type(self) is not type(other):
            return NotImplemented
        return _params_key(self) == _params_key(other)

    def __hash__(self):
        return hash((type(self), _params_key(self)))


_register(Surrogate)


def _signed_abs(x):
    """``(s, u)`` with ``s = -1`` for ``x < 0`` else ``+1``, and ``u = s * x = |x|``.

    Unlike ``jnp.abs``, ``u`` has derivative ``+1`` at ``x = 0``, so an odd antiderivative
    written as ``s * I(u)`` differentiates to ``I'(|x|)`` everywhere, ``x = 0`` included.
    """
    s = jnp.where(jnp.asarray(x) < 0, -1.0, 1.0)
    return s, s * x


# ---------------------------------------------------------------------------------------------
# Surrogates
# ---------------------------------------------------------------------------------------------


class Sigmoid(Surrogate):
    r"""Spike function with the sigmoid surrogate gradient.

    Parameters
    ----------
    alpha : float, default 4.0
        Steepness :math:`\alpha`; the gradient peaks at :math:`\alpha/4` at ``x = 0``.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient, with :math:`\sigma` the logistic function:

    $$g(x) = \alpha\,\sigma(\alpha x)\,\bigl(1 - \sigma(\alpha x)\bigr)$$

    Smooth function: :math:`\sigma(\alpha x)`.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> surrogate.Sigmoid(alpha=4.0)(jnp.array([-1.0, 0.0, 1.0])).tolist()
    [0.0, 1.0, 1.0]
    >>> float(jax.grad(surrogate.Sigmoid(alpha=2.0))(0.0))
    0.5
    """

    def __init__(self, alpha: float = 4.0):
        self.alpha = alpha

    def surrogate_fun(self, x):
        return _expit(self.alpha * x)

    def surrogate_grad(self, x):
        sig = _expit(x * self.alpha)
        return (1.0 - sig) * sig * self.alpha


def sigmoid(x: ArrayLike, alpha: float = 4.0) -> jax.Array:
    r"""Spike function with the sigmoid surrogate gradient; see :class:`Sigmoid`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.sigmoid)(0.0, 8.0))
    2.0
    """
    return Sigmoid(alpha=alpha)(x)


class PiecewiseQuadratic(Surrogate):
    r"""Spike function with the piecewise quadratic (triangular) surrogate gradient.

    Parameters
    ----------
    alpha : float, default 1.0
        The gradient peaks at :math:`\alpha` at ``x = 0`` and vanishes for
        :math:`|x| > 1/\alpha`.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = \begin{cases} 0, & |x| > 1/\alpha \\ \alpha - \alpha^2 |x|, & |x| \le 1/\alpha
    \end{cases}$$

    Smooth function: :math:`0` for :math:`x < -1/\alpha`, :math:`1` for :math:`x > 1/\alpha`,
    and :math:`\tfrac12 + \alpha x - \tfrac{\alpha^2}{2} x |x|` in between.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> xs = jnp.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    >>> jax.vmap(jax.grad(surrogate.PiecewiseQuadratic()))(xs).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def surrogate_fun(self, x):
        a = self.alpha
        c = jnp.clip(x, -1 / a, 1 / a)
        return 0.5 + a * c - 0.5 * a**2 * c * jnp.abs(c)

    def surrogate_grad(self, x):
        ax = jnp.abs(x)
        outside = ax > 1 / self.alpha
        ax = jnp.where(outside, 0.0, ax)  # keep the unused branch finite for any |x|
        return jnp.where(outside, 0.0, self.alpha - self.alpha**2 * ax)


def piecewise_quadratic(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    r"""Spike function with the piecewise quadratic surrogate gradient; see
    :class:`PiecewiseQuadratic`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.piecewise_quadratic)(0.25, 2.0))
    1.0
    """
    return PiecewiseQuadratic(alpha=alpha)(x)


class PiecewiseExp(Surrogate):
    r"""Spike function with the piecewise exponential (Laplace) surrogate gradient.

    Parameters
    ----------
    alpha : float, default 1.0
        Decay rate; the gradient peaks at :math:`\alpha/2` at ``x = 0``.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = \frac{\alpha}{2} e^{-\alpha |x|}$$

    Smooth function: :math:`\tfrac12 e^{\alpha x}` for :math:`x < 0` and
    :math:`1 - \tfrac12 e^{-\alpha x}` for :math:`x \ge 0`.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.PiecewiseExp(alpha=1.0))(0.0))
    0.5
    >>> round(float(jax.grad(surrogate.PiecewiseExp(alpha=1.0))(1.0)), 4)
    0.1839
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def surrogate_fun(self, x):
        s, u = _signed_abs(x)
        return 0.5 - 0.5 * s * jnp.expm1(-self.alpha * u)

    def surrogate_grad(self, x):
        return (self.alpha / 2) * jnp.exp(-self.alpha * jnp.abs(x))


def piecewise_exp(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    r"""Spike function with the piecewise exponential surrogate gradient; see
    :class:`PiecewiseExp`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.piecewise_exp)(0.0, 3.0))
    1.5
    """
    return PiecewiseExp(alpha=alpha)(x)


class SoftSign(Surrogate):
    r"""Spike function with the soft-sign surrogate gradient.

    Parameters
    ----------
    alpha : float, default 1.0
        Steepness; the gradient peaks at :math:`\alpha/2` at ``x = 0``.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = \frac{\alpha}{2\,(1 + |\alpha x|)^2}$$

    Smooth function: :math:`\tfrac12 + \dfrac{x}{2/\alpha + 2|x|}` (a shifted soft sign).

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> jax.vmap(jax.grad(surrogate.SoftSign()))(jnp.array([-1.0, 0.0, 1.0])).tolist()
    [0.125, 0.5, 0.125]
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def surrogate_fun(self, x):
        return x / (2 / self.alpha + 2 * jnp.abs(x)) + 0.5

    def surrogate_grad(self, x):
        return self.alpha * 0.5 / (1 + jnp.abs(self.alpha * x)) ** 2


def soft_sign(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    r"""Spike function with the soft-sign surrogate gradient; see :class:`SoftSign`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.soft_sign)(0.0, 3.0))
    1.5
    """
    return SoftSign(alpha=alpha)(x)


class Arctan(Surrogate):
    r"""Spike function with the arctangent surrogate gradient.

    Parameters
    ----------
    alpha : float, default 1.0
        Steepness; the gradient peaks at :math:`\alpha/2` at ``x = 0``.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = \frac{\alpha}{2\,\bigl(1 + (\tfrac{\pi}{2}\alpha x)^2\bigr)}$$

    Smooth function: :math:`\tfrac12 + \tfrac1\pi \arctan(\tfrac\pi2 \alpha x)`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.Arctan(alpha=1.0))(0.0))
    0.5
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def surrogate_fun(self, x):
        return jnp.arctan(jnp.pi / 2 * self.alpha * x) / jnp.pi + 0.5

    def surrogate_grad(self, x):
        return self.alpha * 0.5 / (1 + (jnp.pi / 2 * self.alpha * x) ** 2)


def arctan(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    r"""Spike function with the arctangent surrogate gradient; see :class:`Arctan`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.arctan)(0.0, 2.0))
    1.0
    """
    return Arctan(alpha=alpha)(x)


class NonzeroSignLog(Surrogate):
    r"""Spike function with the nonzero-sign-log surrogate gradient.

    Parameters
    ----------
    alpha : float, default 1.0
        The gradient peaks at :math:`\alpha` at ``x = 0`` and decays like :math:`1/|x|`.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = \frac{1}{1/\alpha + |x|}$$

    Smooth function (as in braintools, not bounded): :math:`\operatorname{NonzeroSign}(x)
    \log(1 + \alpha|x|)`, with :math:`\operatorname{NonzeroSign}(x) = 1` for
    :math:`x \ge 0` and :math:`-1` otherwise.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> jax.vmap(jax.grad(surrogate.NonzeroSignLog()))(jnp.array([-3.0, 0.0, 1.0])).tolist()
    [0.25, 1.0, 0.5]
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def surrogate_fun(self, x):
        s, u = _signed_abs(x)
        return s * jnp.log1p(self.alpha * u)

    def surrogate_grad(self, x):
        return 1.0 / (1 / self.alpha + jnp.abs(x))


def nonzero_sign_log(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    r"""Spike function with the nonzero-sign-log surrogate gradient; see
    :class:`NonzeroSignLog`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.nonzero_sign_log)(0.0, 2.0))
    2.0
    """
    return NonzeroSignLog(alpha=alpha)(x)


class ERF(Surrogate):
    r"""Spike function with the Gaussian (error-function) surrogate gradient.

    Parameters
    ----------
    alpha : float, default 1.0
        Steepness; the gradient peaks at :math:`\alpha/\sqrt\pi` at ``x = 0``.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = \frac{\alpha}{\sqrt\pi} e^{-\alpha^2 x^2}$$

    Smooth function: :math:`\tfrac12\bigl(1 + \operatorname{erf}(\alpha x)\bigr)`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> round(float(jax.grad(surrogate.ERF())(0.0)), 4)
    0.5642
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def surrogate_fun(self, x):
        return 0.5 * (1.0 + _erf(self.alpha * x))

    def surrogate_grad(self, x):
        return (self.alpha / jnp.sqrt(jnp.pi)) * jnp.exp(-jnp.square(self.alpha) * x * x)


def erf(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    r"""Spike function with the error-function surrogate gradient; see :class:`ERF`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> round(float(jax.grad(surrogate.erf)(0.0, 2.0)), 4)
    1.1284
    """
    return ERF(alpha=alpha)(x)


class PiecewiseLeakyRelu(Surrogate):
    r"""Spike function with the piecewise leaky-ReLU (box with leaky tails) surrogate gradient.

    Parameters
    ----------
    c : float, default 0.01
        Gradient outside the window, :math:`|x| > w`.
    w : float, default 1.0
        Half width of the window, inside which the gradient is :math:`1/(2w)`.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = \begin{cases} \dfrac{1}{2w}, & |x| \le w \\ c, & |x| > w \end{cases}$$

    Smooth function: :math:`c\,(x + w)` for :math:`x < -w`, :math:`\tfrac{x}{2w} + \tfrac12`
    for :math:`|x| \le w`, and :math:`c\,(x - w) + 1` for :math:`x > w`.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> sg = surrogate.PiecewiseLeakyRelu(c=0.125, w=1.0)
    >>> jax.vmap(jax.grad(sg))(jnp.array([-2.0, 0.0, 0.5, 2.0])).tolist()
    [0.125, 0.5, 0.5, 0.125]
    """

    def __init__(self, c: float = 0.01, w: float = 1.0):
        self.c = c
        self.w = w

    def surrogate_fun(self, x):
        c, w = self.c, self.w
        return jnp.where(
            x < -w,
            c * x + c * w,
            jnp.where(x > w, c * x - c * w + 1, 0.5 * x / w + 0.5),
        )

    def surrogate_grad(self, x):
        return jnp.where(jnp.abs(x) > self.w, self.c, 1 / (2 * self.w))


def piecewise_leaky_relu(x: ArrayLike, c: float = 0.01, w: float = 1.0) -> jax.Array:
    r"""Spike function with the piecewise leaky-ReLU surrogate gradient; see
    :class:`PiecewiseLeakyRelu`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.piecewise_leaky_relu)(0.0, 0.01, 0.25))
    2.0
    """
    return PiecewiseLeakyRelu(c=c, w=w)(x)


class SquarewaveFourierSeries(Surrogate):
    r"""Spike function whose surrogate is a truncated Fourier series of a square wave.

    Parameters
    ----------
    n : int, default 2
        Number of Fourier terms (a static Python integer: changing it retraces).
    t_period : float, default 8.0
        Period :math:`T` of the square wave.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient, with :math:`\omega = 2\pi/T`:

    $$g(x) = \frac{4}{T} \sum_{i=1}^{n} \cos\bigl((2i - 1)\,\omega x\bigr)$$

    Smooth function: :math:`\tfrac12 + \tfrac2\pi \sum_{i=1}^{n}
    \dfrac{\sin((2i-1)\,\omega x)}{2i - 1}`. Note that :math:`g` is periodic.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.SquarewaveFourierSeries(n=2, t_period=8.0))(0.0))
    1.0
    """

    static_fields = ("n",)

    def __init__(self, n: int = 2, t_period: float = 8.0):
        self.n = operator.index(n)
        self.t_period = t_period

    def surrogate_fun(self, x):
        w = jnp.pi * 2.0 / self.t_period
        total = jnp.sin(w * x)
        for i in range(2, self.n + 1):
            k = 2 * i - 1.0
            total = total + jnp.sin(k * w * x) / k
        return 0.5 + 2.0 / jnp.pi * total

    def surrogate_grad(self, x):
        w = jnp.pi * 2.0 / self.t_period
        total = jnp.cos(w * x)
        for i in range(2, self.n + 1):
            total = total + jnp.cos((2 * i - 1.0) * w * x)
        return total * (4.0 / self.t_period)


def squarewave_fourier_series(x: ArrayLike, n: int = 2, t_period: float = 8.0) -> jax.Array:
    r"""Spike function with the square-wave Fourier-series surrogate gradient; see
    :class:`SquarewaveFourierSeries`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.squarewave_fourier_series)(0.0, 4, 8.0))
    2.0
    """
    return SquarewaveFourierSeries(n=n, t_period=t_period)(x)


class S2NN(Surrogate):
    r"""Spike function with the S2NN surrogate gradient (sigmoid left, logarithmic right).

    Parameters
    ----------
    alpha : float, default 4.0
        Steepness of the sigmoid part (:math:`x < 0`).
    beta : float, default 1.0
        Scale of the logarithmic part (:math:`x \ge 0`).
    epsilon : float, default 1e-8
        Kept for compatibility with braintools, whose smooth function uses
        :math:`\log(|x + 1| + \epsilon)`. It does not enter the gradient, and the smooth
        function here is the exact antiderivative (see below), so it has no effect.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient, with :math:`\sigma` the logistic function:

    $$g(x) = \begin{cases} \alpha\,\sigma(\alpha x)\bigl(1 - \sigma(\alpha x)\bigr), & x < 0 \\
    \dfrac{\beta}{x + 1}, & x \ge 0 \end{cases}$$

    Smooth function: :math:`\sigma(\alpha x)` for :math:`x < 0` and
    :math:`\beta \log(1 + x) + \tfrac12` for :math:`x \ge 0`.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> jax.vmap(jax.grad(surrogate.S2NN()))(jnp.array([0.0, 1.0, 3.0])).tolist()
    [1.0, 0.5, 0.25]
    >>> round(float(jax.grad(surrogate.S2NN())(-1.0)), 4)
    0.0707
    """

    def __init__(self, alpha: float = 4.0, beta: float = 1.0, epsilon: float = 1e-8):
        self.alpha = alpha
        self.beta = beta
        self.epsilon = epsilon

    def surrogate_fun(self, x):
        neg = x < 0.0
        x_pos = jnp.where(neg, 0.0, x)
        return jnp.where(neg, _expit(self.alpha * x), self.beta * jnp.log1p(x_pos) + 0.5)

    def surrogate_grad(self, x):
        sig = _expit(self.alpha * x)
        neg = x < 0.0
        x_pos = jnp.where(neg, 1.0, x)  # keeps beta / (x + 1) finite where it is unused
        return jnp.where(neg, self.alpha * sig * (1.0 - sig), self.beta / (x_pos + 1.0))


def s2nn(
    x: ArrayLike, alpha: float = 4.0, beta: float = 1.0, epsilon: float = 1e-8
) -> jax.Array:
    r"""Spike function with the S2NN surrogate gradient; see :class:`S2NN`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.s2nn)(1.0, 4.0, 2.0))
    1.0
    """
    return S2NN(alpha=alpha, beta=beta, epsilon=epsilon)(x)


class QPseudoSpike(Surrogate):
    r"""Spike function with the q-PseudoSpike surrogate gradient (heavy, power-law tails).

    Parameters
    ----------
    alpha : float, default 2.0
        Tail parameter; smaller values give heavier tails. The gradient is ``1`` at ``x = 0``.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient (as in braintools, with :math:`\alpha + 1`):

    $$g(x) = \Bigl(1 + \frac{2|x|}{\alpha + 1}\Bigr)^{-\alpha}$$

    Smooth function: :math:`\tfrac12 + \operatorname{sign}(x)\,\tfrac{\alpha+1}{2}\,
    \dfrac{b^{1-\alpha} - 1}{1 - \alpha}` with :math:`b = 1 + \tfrac{2|x|}{\alpha+1}`
    (:math:`\tfrac{\alpha+1}{2}\log b` in the limit :math:`\alpha = 1`).

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.QPseudoSpike())(0.0))
    1.0
    >>> round(float(jax.grad(surrogate.QPseudoSpike(alpha=2.0))(1.5)), 4)
    0.25
    """

    def __init__(self, alpha: float = 2.0):
        self.alpha = alpha

    def surrogate_fun(self, x):
        a = self.alpha
        s, u = _signed_abs(x)
        log_b = jnp.log1p(2 / (a + 1) * u)
        k = 1 - a
        is_one = k == 0
        k_safe = jnp.where(is_one, 1.0, k)
        integral = jnp.where(is_one, log_b, jnp.expm1(k_safe * log_b) / k_safe)
        return 0.5 + s * (a + 1) / 2 * integral

    def surrogate_grad(self, x):
        return jnp.power(1 + 2 / (self.alpha + 1) * jnp.abs(x), -self.alpha)


def q_pseudo_spike(x: ArrayLike, alpha: float = 2.0) -> jax.Array:
    r"""Spike function with the q-PseudoSpike surrogate gradient; see :class:`QPseudoSpike`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.q_pseudo_spike)(0.0, 3.0))
    1.0
    """
    return QPseudoSpike(alpha=alpha)(x)


class LeakyRelu(Surrogate):
    r"""Spike function with the leaky-ReLU (two-level) surrogate gradient.

    Parameters
    ----------
    alpha : float, default 0.1
        Gradient for :math:`x < 0`.
    beta : float, default 1.0
        Gradient for :math:`x \ge 0`.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = \begin{cases} \alpha, & x < 0 \\ \beta, & x \ge 0 \end{cases}$$

    Smooth function (as in braintools, unbounded): :math:`\alpha x` for :math:`x < 0` and
    :math:`\beta x` for :math:`x \ge 0`.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> sg = surrogate.LeakyRelu(alpha=0.25, beta=1.0)
    >>> jax.vmap(jax.grad(sg))(jnp.array([-1.0, 0.0, 1.0])).tolist()
    [0.25, 1.0, 1.0]
    """

    def __init__(self, alpha: float = 0.1, beta: float = 1.0):
        self.alpha = alpha
        self.beta = beta

    def surrogate_fun(self, x):
        return jnp.where(x < 0.0, self.alpha * x, self.beta * x)

    def surrogate_grad(self, x):
        return jnp.where(x < 0.0, self.alpha, self.beta)


def leaky_relu(x: ArrayLike, alpha: float = 0.1, beta: float = 1.0) -> jax.Array:
    r"""Spike function with the leaky-ReLU surrogate gradient; see :class:`LeakyRelu`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.leaky_relu)(-1.0, 0.5))
    0.5
    """
    return LeakyRelu(alpha=alpha, beta=beta)(x)


class LogTailedRelu(Surrogate):
    r"""Spike function with the log-tailed ReLU surrogate gradient.

    Parameters
    ----------
    alpha : float, default 0.0
        Gradient for :math:`x \le 0`.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = \begin{cases} \alpha, & x \le 0 \\ 1, & 0 < x \le 1 \\ 1/x, & x > 1
    \end{cases}$$

    Smooth function: :math:`\alpha x` for :math:`x \le 0`, :math:`x` for
    :math:`0 < x \le 1` and :math:`1 + \log x` for :math:`x > 1`.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> jax.vmap(jax.grad(surrogate.LogTailedRelu()))(jnp.array([-1.0, 0.5, 4.0])).tolist()
    [0.0, 1.0, 0.25]
    """

    def __init__(self, alpha: float = 0.0):
        self.alpha = alpha

    def surrogate_fun(self, x):
        tail = x > 1
        x_tail = jnp.where(tail, x, 1.0)  # keeps log finite where it is unused
        return jnp.where(tail, 1.0 + jnp.log(x_tail), jnp.where(x > 0, x, self.alpha * x))

    def surrogate_grad(self, x):
        tail = x > 1
        x_tail = jnp.where(tail, x, 1.0)  # keeps 1 / x finite where it is unused
        return jnp.where(tail, 1 / x_tail, jnp.where(x > 0, 1.0, self.alpha))


def log_tailed_relu(x: ArrayLike, alpha: float = 0.0) -> jax.Array:
    r"""Spike function with the log-tailed ReLU surrogate gradient; see
    :class:`LogTailedRelu`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.log_tailed_relu)(-1.0, 0.5))
    0.5
    """
    return LogTailedRelu(alpha=alpha)(x)


class ReluGrad(Surrogate):
    r"""Spike function with the ReLU-shaped (triangular) surrogate gradient.

    Parameters
    ----------
    alpha : float, default 0.3
        Slope of the triangle; the gradient peaks at :math:`\alpha\,w` at ``x = 0``.
    width : float, default 1.0
        Half width :math:`w`: the gradient vanishes for :math:`|x| \ge w`.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = \max\bigl(\alpha w - \alpha |x|,\ 0\bigr)$$

    Smooth function (not in braintools): with :math:`c = \operatorname{clip}(x, -w, w)`,
    :math:`F(x) = \tfrac12 + \alpha\bigl(w c - \tfrac12 c|c|\bigr)`, which rises from
    :math:`\tfrac12 - \tfrac12\alpha w^2` to :math:`\tfrac12 + \tfrac12\alpha w^2`.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> sg = surrogate.ReluGrad(alpha=0.5, width=1.0)
    >>> jax.vmap(jax.grad(sg))(jnp.array([-2.0, -0.5, 0.0, 0.5])).tolist()
    [0.0, 0.25, 0.5, 0.25]
    """

    def __init__(self, alpha: float = 0.3, width: float = 1.0):
        self.alpha = alpha
        self.width = width

    def surrogate_fun(self, x):
        c = jnp.clip(x, -self.width, self.width)
        return 0.5 + self.alpha * (self.width * c - 0.5 * c * jnp.abs(c))

    def surrogate_grad(self, x):
        return jnp.maximum(self.alpha * self.width - jnp.abs(x) * self.alpha, 0.0)


def relu_grad(x: ArrayLike, alpha: float = 0.3, width: float = 1.0) -> jax.Array:
    r"""Spike function with the ReLU-shaped surrogate gradient; see :class:`ReluGrad`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.relu_grad)(0.5, 1.0, 2.0))
    1.5
    """
    return ReluGrad(alpha=alpha, width=width)(x)


class GaussianGrad(Surrogate):
    r"""Spike function with the Gaussian surrogate gradient.

    Parameters
    ----------
    sigma : float, default 0.5
        Standard deviation :math:`\sigma` of the Gaussian.
    alpha : float, default 0.5
        Total area under the gradient.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = \frac{\alpha}{\sqrt{2\pi}\,\sigma} e^{-x^2 / (2\sigma^2)}$$

    Smooth function (not in braintools):
    :math:`\tfrac12 + \tfrac\alpha2 \operatorname{erf}\bigl(x / (\sqrt2\,\sigma)\bigr)`,
    i.e. :math:`\alpha\,\Phi(x/\sigma) + \tfrac{1 - \alpha}{2}` with :math:`\Phi` the normal
    CDF (it goes from 0 to 1 for :math:`\alpha = 1`).

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> round(float(jax.grad(surrogate.GaussianGrad(sigma=0.5, alpha=0.5))(0.0)), 4)
    0.3989
    """

    def __init__(self, sigma: float = 0.5, alpha: float = 0.5):
        self.sigma = sigma
        self.alpha = alpha

    def surrogate_fun(self, x):
        return 0.5 + 0.5 * self.alpha * _erf(x / (_SQRT_2 * self.sigma))

    def surrogate_grad(self, x):
        gauss = jnp.exp(-(x**2) / (2 * jnp.square(self.sigma)))
        return self.alpha * (gauss / (jnp.sqrt(2 * jnp.pi) * self.sigma))

    def __repr__(self) -> str:  # braintools' parameter order
        return f"{type(self).__name__}(alpha={self.alpha}, sigma={self.sigma})"


def gaussian_grad(x: ArrayLike, sigma: float = 0.5, alpha: float = 0.5) -> jax.Array:
    r"""Spike function with the Gaussian surrogate gradient; see :class:`GaussianGrad`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> round(float(jax.grad(surrogate.gaussian_grad)(0.0, 1.0, 1.0)), 4)
    0.3989
    """
    return GaussianGrad(sigma=sigma, alpha=alpha)(x)


class MultiGaussianGrad(Surrogate):
    r"""Spike function with the multi-Gaussian surrogate gradient (with negative side lobes).

    Parameters
    ----------
    h : float, default 0.15
        Weight of the two side Gaussians.
    s : float, default 6.0
        Width ratio of the side Gaussians to the central one.
    sigma : float, default 0.5
        Standard deviation :math:`\sigma` of the central Gaussian (and offset of the side ones).
    scale : float, default 0.5
        Overall scale.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient, with :math:`\mathcal N(x; \mu, \sigma)` the normal
    density:

    $$g(x) = \mathrm{scale}\,\Bigl[(1 + h)\,\mathcal N(x; 0, \sigma)
    - h\,\mathcal N(x; \sigma, s\sigma) - h\,\mathcal N(x; -\sigma, s\sigma)\Bigr]$$

    Smooth function (not in braintools), with :math:`E(y) = \operatorname{erf}(y/\sqrt2)`:
    :math:`\tfrac12 + \tfrac{\mathrm{scale}}{2}\bigl[(1+h)E(\tfrac{x}{\sigma})
    - hE(\tfrac{x - \sigma}{s\sigma}) - hE(\tfrac{x + \sigma}{s\sigma})\bigr]`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> round(float(jax.grad(surrogate.MultiGaussianGrad())(0.0)), 4)
    0.4391
    """

    def __init__(self, h: float = 0.15, s: float = 6.0, sigma: float = 0.5, scale: float = 0.5):
        self.h = h
        self.s = s
        self.sigma = sigma
        self.scale = scale

    def surrogate_fun(self, x):
        h, sigma = self.h, self.sigma
        side = _SQRT_2 * self.s * sigma
        total = (
            (1.0 + h) * _erf(x / (_SQRT_2 * sigma))
            - h * _erf((x - sigma) / side)
            - h * _erf((x + sigma) / side)
        )
        return 0.5 + 0.5 * self.scale * total

    def surrogate_grad(self, x):
        h, s, sigma = self.h, self.s, self.sigma
        sqrt_2pi = jnp.sqrt(2 * jnp.pi)
        center = jnp.exp(-(x**2) / (2 * jnp.square(sigma))) / (sqrt_2pi * sigma)
        side_var2 = 2 * jnp.square(s * sigma)
        right = jnp.exp(-((x - sigma) ** 2) / side_var2) / (sqrt_2pi * s * sigma)
        left = jnp.exp(-((x + sigma) ** 2) / side_var2) / (sqrt_2pi * s * sigma)
        return self.scale * (center * (1.0 + h) - right * h - left * h)


def multi_gaussian_grad(
    x: ArrayLike, h: float = 0.15, s: float = 6.0, sigma: float = 0.5, scale: float = 0.5
) -> jax.Array:
    r"""Spike function with the multi-Gaussian surrogate gradient; see
    :class:`MultiGaussianGrad`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> round(float(jax.grad(surrogate.multi_gaussian_grad)(0.0, 0.0)), 4)
    0.3989
    """
    return MultiGaussianGrad(h=h, s=s, sigma=sigma, scale=scale)(x)


class InvSquareGrad(Surrogate):
    r"""Spike function with the inverse-square surrogate gradient.

    Parameters
    ----------
    alpha : float, default 100.0
        Sharpness; the gradient is ``1`` at ``x = 0`` and halves its width as alpha doubles.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = \frac{1}{(\alpha |x| + 1)^2}$$

    Smooth function (not in braintools): :math:`\tfrac12 + \dfrac{x}{\alpha|x| + 1}`,
    rising from :math:`\tfrac12 - \tfrac1\alpha` to :math:`\tfrac12 + \tfrac1\alpha`.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from spikax import surrogate
    >>> sg = surrogate.InvSquareGrad(alpha=1.0)
    >>> jax.vmap(jax.grad(sg))(jnp.array([-1.0, 0.0, 3.0])).tolist()
    [0.25, 1.0, 0.0625]
    """

    def __init__(self, alpha: float = 100.0):
        self.alpha = alpha

    def surrogate_fun(self, x):
        return 0.5 + x / (self.alpha * jnp.abs(x) + 1.0)

    def surrogate_grad(self, x):
        return 1.0 / (self.alpha * jnp.abs(x) + 1.0) ** 2


def inv_square_grad(x: ArrayLike, alpha: float = 100.0) -> jax.Array:
    r"""Spike function with the inverse-square surrogate gradient; see
    :class:`InvSquareGrad`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.inv_square_grad)(1.0, 3.0))
    0.0625
    """
    return InvSquareGrad(alpha=alpha)(x)


class SlayerGrad(Surrogate):
    r"""Spike function with the SLAYER (exponential) surrogate gradient.

    Parameters
    ----------
    alpha : float, default 1.0
        Decay rate; the gradient is ``1`` at ``x = 0``.

    Notes
    -----
    Forward: :func:`heaviside`. Gradient:

    $$g(x) = e^{-\alpha |x|}$$

    Smooth function (not in braintools):
    :math:`\tfrac12 + \operatorname{sign}(x)\,\dfrac{1 - e^{-\alpha|x|}}{\alpha}`,
    rising from :math:`\tfrac12 - \tfrac1\alpha` to :math:`\tfrac12 + \tfrac1\alpha`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.SlayerGrad())(0.0))
    1.0
    >>> round(float(jax.grad(surrogate.SlayerGrad(alpha=1.0))(1.0)), 4)
    0.3679
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def surrogate_fun(self, x):
        s, u = _signed_abs(x)
        return 0.5 - s * jnp.expm1(-self.alpha * u) / self.alpha

    def surrogate_grad(self, x):
        return jnp.exp(-self.alpha * jnp.abs(x))


def slayer_grad(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    r"""Spike function with the SLAYER surrogate gradient; see :class:`SlayerGrad`.

    Examples
    --------
    >>> import jax
    >>> from spikax import surrogate
    >>> float(jax.grad(surrogate.slayer_grad)(0.0, 5.0))
    1.0
    """
    return SlayerGrad(alpha=alpha)(x)
