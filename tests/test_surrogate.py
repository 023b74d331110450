"""Tests of ``spikax.surrogate`` against the reference implementation ``braintools.surrogate``.

Every numerical expectation comes from braintools (forward values, gradients, smooth
functions, signatures, reprs) or from JAX autodiff of a documented function.

Speed: compiling each JAX operation separately (eager mode) dominates the cost of these
tests, so the numerical results of all 18 surrogates are computed in one jitted function per
(precision, parameter set) and cached; the per-class tests then compare the cached arrays.
The eager path is exercised by ``test_eager_gradients_equal_braintools`` and the
forward-pass tests.
"""

import functools
import inspect

import braintools  # noqa: F401  (imports brainstate, which sets x64 at import; import it first)
import braintools.surrogate as bts
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikax import surrogate as sx

# (spikax class, spikax function, braintools' default kwargs, custom kwargs).
# kwargs are in signature order, so ``fn(x, *kwargs.values())`` is a positional call.
REGISTRY = [
    (sx.Sigmoid, sx.sigmoid, {"alpha": 4.0}, {"alpha": 2.5}),
    (sx.PiecewiseQuadratic, sx.piecewise_quadratic, {"alpha": 1.0}, {"alpha": 2.5}),
    (sx.PiecewiseExp, sx.piecewise_exp, {"alpha": 1.0}, {"alpha": 3.0}),
    (sx.SoftSign, sx.soft_sign, {"alpha": 1.0}, {"alpha": 2.0}),
    (sx.Arctan, sx.arctan, {"alpha": 1.0}, {"alpha": 2.0}),
    (sx.NonzeroSignLog, sx.nonzero_sign_log, {"alpha": 1.0}, {"alpha": 0.5}),
    (sx.ERF, sx.erf, {"alpha": 1.0}, {"alpha": 1.5}),
    (sx.PiecewiseLeakyRelu, sx.piecewise_leaky_relu, {"c": 0.01, "w": 1.0}, {"c": 0.05, "w": 0.5}),
    (
        sx.SquarewaveFourierSeries,
        sx.squarewave_fourier_series,
        {"n": 2, "t_period": 8.0},
        {"n": 4, "t_period": 6.0},
    ),
    (
        sx.S2NN,
        sx.s2nn,
        {"alpha": 4.0, "beta": 1.0, "epsilon": 1e-8},
        {"alpha": 2.0, "beta": 0.5, "epsilon": 1e-6},
    ),
    (sx.QPseudoSpike, sx.q_pseudo_spike, {"alpha": 2.0}, {"alpha": 3.0}),
    (sx.LeakyRelu, sx.leaky_relu, {"alpha": 0.1, "beta": 1.0}, {"alpha": 0.2, "beta": 0.8}),
    (sx.LogTailedRelu, sx.log_tailed_relu, {"alpha": 0.0}, {"alpha": 0.1}),
    (sx.ReluGrad, sx.relu_grad, {"alpha": 0.3, "width": 1.0}, {"alpha": 0.5, "width": 2.0}),
    (sx.GaussianGrad, sx.gaussian_grad, {"sigma": 0.5, "alpha": 0.5}, {"sigma": 0.8, "alpha": 1.0}),
    (
        sx.MultiGaussianGrad,
        sx.multi_gaussian_grad,
        {"h": 0.15, "s": 6.0, "sigma": 0.5, "scale": 0.5},
        {"h": 0.3, "s": 4.0, "sigma": 0.4, "scale": 0.8},
    ),
    (sx.InvSquareGrad, sx.inv_square_grad, {"alpha": 100.0}, {"alpha": 10.0}),
    (sx.SlayerGrad, sx.slayer_grad, {"alpha": 1.0}, {"alpha": 2.0}),
]
IDS = [entry[0].__name__ for entry in REGISTRY]
# braintools defines a smooth function (surrogate_fun) for these classes only.
BT_HAS_FUN = {
    "Sigmoid", "PiecewiseQuadratic", "PiecewiseExp", "SoftSign", "Arctan", "NonzeroSignLog",
    "ERF", "PiecewiseLeakyRelu", "SquarewaveFourierSeries", "S2NN", "QPseudoSpike",
    "LeakyRelu", "LogTailedRelu",
}  # fmt: skip

RTOL = {32: 1e-6, 64: 1e-12}
DTYPE = {32: jnp.float32, 64: jnp.float64}
# Every test array has N points (values repeated cyclically), so that JAX's per-shape caches
# of compiled operations are shared by all tests.
N = 48
# Points where gradients are compared with derivatives of smooth functions: no kinks
# (|x| = 1/alpha, w, width, and x = 1 for LogTailedRelu are avoided; x = 0 is kept).
SMOOTH_X = [0.0, 0.13, -0.13, 0.37, -0.37, 0.71, -0.71, 1.29, -1.29, 2.3, -2.3, 5.7, -5.7]
HUGE_X = [1e-30, -1e-30, 1.0, -1.0, 1e10, -1e10, 1e30, -1e30]


def bt(cls_or_fn):
    """The braintools twin of a spikax class or function."""
    return getattr(bts, cls_or_fn.__name__)


def floats(kwargs):
    return {k: v for k, v in kwargs.items() if isinstance(v, float)}


def statics(kwargs):
    return {k: v for k, v in kwargs.items() if not isinstance(v, float)}


def pick(entry, which):
    return entry[2] if which == "default" else entry[3]


def points(values, bits=32):
    assert len(values) <= N
    return jnp.asarray(np.resize(np.asarray(values, np.float64), N), DTYPE[bits])


def grid(kwargs, bits):
    """-0, +0, +-1e-7, +-1, +-3, +-1e30, +-1e-30, +-1e10, a few generic points, and +-p, +-1/p
    for every parameter p (so +-1/alpha, +-w, +-width, ... are included)."""
    pts = [-0.0, 0.0, 1e-7, -1e-7, 1.0, -1.0, 3.0, -3.0, 1e30, -1e30, 0.3, -0.7, 1.7, -2.2]
    pts += [1e-30, -1e-30, 1e10, -1e10]
    for v in kwargs.values():
        if v:
            pts += [v, -v, 1.0 / v, -1.0 / v]
    return points(pts, bits)


def tangents(bits):
    return points([0.5, -1.25, 2.0, 3.0, -0.75, 1.0, -4.0], bits)


def grad_of(f, xs):
    """Elementwise derivative of an elementwise function."""
    return jax.grad(lambda x: jnp.sum(f(x)))(xs)


def assert_close(actual, desired, rtol, atol=0.0):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(desired), rtol=rtol, atol=atol)


@pytest.fixture(params=[32, 64], ids=["f32", "f64"])
def bits(request):
    """Run a test in float32 (x64 off) and in float64 (x64 on); restore the flag afterwards."""
    old = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", request.param == 64)
    try:
        yield request.param
    finally:
        jax.config.update("jax_enable_x64", old)


@pytest.fixture
def f32():
    """Run a test with x64 off."""
    old = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", False)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", old)


entries = pytest.mark.parametrize("entry", REGISTRY, ids=IDS)
which = pytest.mark.parametrize("which", ["default", "custom"])


# ------------------------------------------------------- batched, cached numerical results


def _numerics_one(cls, fn, kw, bits):
    sg, ref = cls(**kw), bt(cls)(**kw)
    xs, sm = grid(kw, bits), points(SMOOTH_X, bits)
    ex = points(HUGE_X + SMOOTH_X[1:], bits)
    ts = tangents(bits)
    r = {
        # test 1: forward pass of braintools
        "fwd_bt": ref(xs),
        # test 2: gradient on the grid, class / function / braintools
        "grad": grad_of(sg, xs),
        "grad_fn": grad_of(lambda x: fn(x, **kw), xs),
        "grad_bt": grad_of(ref, xs),
        # test 3: derivative of the smooth function
        "dfun": grad_of(sg.surrogate_fun, sm),
        "sgrad": sg.surrogate_grad(sm),
        "grad_bt_smooth": grad_of(ref, sm),
        # test 4: extreme inputs; elementwise, so the JVP of the gradient with ones is the
        # second derivative
        "jvp_of_grad": jax.jvp(lambda x: grad_of(sg, x), (ex,), (jnp.ones_like(ex),)),
        "dsgrad": grad_of(sg.surrogate_grad, ex),
        # test 5: forward mode
        "jvp": jax.jvp(lambda x: fn(x, **kw), (xs,), (ts,)),
    }
    r["grad_bt_times_t"] = r["grad_bt"] * ts
    if cls.__name__ in BT_HAS_FUN:
        r["fun"] = sg.surrogate_fun(sm)
        r["fun_bt"] = ref.surrogate_fun(sm)
    if bits == 64:
        # float32 input with strongly typed float64 hyperparameters
        x32 = points(SMOOTH_X, 32)
        hyper = {k: jnp.asarray(v, jnp.float64) for k, v in floats(kw).items()}
        r["mixed"] = grad_of(lambda x: fn(x, **hyper, **statics(kw)), x32)
        r["mixed_bt"] = grad_of(ref, x32.astype(jnp.float64)).astype(jnp.float32)
    return r


@functools.lru_cache(maxsize=None)
def numerics(bits, which):
    """Results of ``_numerics_one`` for every class, in one jitted computation."""
    assert jax.config.read("jax_enable_x64") == (bits == 64)
    errors = {}

    def compute():
        out = {}
        for cls, fn, default, custom in REGISTRY:
            kw = default if which == "default" else custom
            try:
                out[cls.__name__] = _numerics_one(cls, fn, kw, bits)
            except Exception as exc:  # reported by the test of this class only
                errors[cls.__name__] = exc
        return out

    return jax.jit(compute)(), errors


def results(cls, bits, which):
    out, errors = numerics(bits, which)
    if cls.__name__ in errors:
        raise errors[cls.__name__]
    return out[cls.__name__]


# ----------------------------------------------------------------------------- API coverage


def test_registry_covers_braintools_and_all():
    bt_classes = {
        name
        for name, obj in vars(bts).items()
        if inspect.isclass(obj) and issubclass(obj, bts.Surrogate) and obj is not bts.Surrogate
    }
    assert len(bt_classes) == 18
    assert len(REGISTRY) == 18
    assert {entry[0].__name__ for entry in REGISTRY} == bt_classes
    fns = {entry[1].__name__ for entry in REGISTRY}
    assert fns <= set(bts.__all__)
    assert set(sx.__all__) == ({"heaviside", "crossing", "crossing_tangent", "Surrogate"}
                               | bt_classes | fns)
    assert len(sx.__all__) == len(set(sx.__all__)) == 40
    for name in sx.__all__:
        assert getattr(sx, name).__doc__
    for cls, *_ in REGISTRY:
        assert issubclass(cls, sx.Surrogate)


def _params(obj):
    return [(p.name, p.default, p.kind) for p in inspect.signature(obj).parameters.values()]


@entries
def test_signatures_match_braintools(entry):
    cls, fn, default, _ = entry
    assert _params(cls) == _params(bt(cls)) == [
        (k, v, inspect.Parameter.POSITIONAL_OR_KEYWORD) for k, v in default.items()
    ]
    assert _params(fn) == _params(bt(fn))
    assert fn.__name__ == bt(fn).__name__


# ---------------------------------------------------------------------------------- forward


@entries
@which
def test_forward_equals_braintools(entry, which, bits):
    cls, fn, _, _ = entry
    kw = pick(entry, which)
    xs = grid(kw, bits)
    want = results(cls, bits, which)["fwd_bt"]
    for got in (cls(**kw)(xs), fn(xs, **kw), fn(xs, *kw.values())):
        assert got.dtype == want.dtype == DTYPE[bits]
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    # H(0) = 1 for both signed zeros, and the smallest numbers around zero
    tiny = float(jnp.finfo(DTYPE[bits]).tiny)  # smallest normal number
    zeros = jnp.asarray([-0.0, 0.0, tiny, -tiny], DTYPE[bits])
    assert cls(**kw)(zeros).tolist() == [1.0, 1.0, 1.0, 0.0]


def test_heaviside(f32):
    xs = jnp.asarray([-1e30, -1.0, -1e-30, -0.0, 0.0, 1e-30, 1.0, 1e30, jnp.nan], jnp.float32)
    assert sx.heaviside(xs).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    assert sx.heaviside(jnp.asarray([-1, 0, 1])).dtype == jnp.float32


# --------------------------------------------------------------------------------- gradient


@entries
@which
def test_gradient_equals_braintools(entry, which, bits):
    r = results(entry[0], bits, which)
    want = r["grad_bt"]
    assert want.dtype == DTYPE[bits]
    for key in ("grad", "grad_fn"):  # class and function
        assert r[key].dtype == DTYPE[bits]
        assert bool(jnp.all(jnp.isfinite(r[key])))
        assert_close(r[key], want, RTOL[bits])


# Classes covering every construct of the gradients (logistic, double where, Python loop over
# a static field, exp/erf-type terms, powers), for the slower eager-mode checks.
EAGER = [sx.Sigmoid, sx.PiecewiseQuadratic, sx.SquarewaveFourierSeries, sx.S2NN,
         sx.QPseudoSpike, sx.LogTailedRelu, sx.MultiGaussianGrad]  # fmt: skip


def test_eager_gradients_equal_braintools(f32):
    """Outside jit (op by op), reverse and forward mode, with custom parameters."""
    ts = tangents(32)
    for cls in EAGER:
        kw = REGISTRY[IDS.index(cls.__name__)][3]
        xs = grid(kw, 32)
        r = results(cls, 32, "custom")
        assert_close(grad_of(cls(**kw), xs), r["grad_bt"], RTOL[32])
        if cls in (sx.Sigmoid, sx.S2NN):
            y, t = jax.jvp(cls(**kw), (xs,), (ts,))
            np.testing.assert_array_equal(np.asarray(y), np.asarray(r["fwd_bt"]))
            assert_close(t, r["grad_bt_times_t"], RTOL[32])


@entries
@which
def test_gradient_is_derivative_of_surrogate_fun(entry, which, bits):
    r = results(entry[0], bits, which)
    tol = {32: (2e-5, 1e-7), 64: (1e-10, 1e-15)}[bits]
    assert_close(r["dfun"], r["sgrad"], *tol)
    assert_close(r["dfun"], r["grad_bt_smooth"], *tol)


@entries
@which
def test_surrogate_fun_values_equal_braintools(entry, which, bits):
    cls = entry[0]
    if cls.__name__ not in BT_HAS_FUN:
        with pytest.raises(NotImplementedError):
            bt(cls)().surrogate_fun(jnp.zeros(3))
        return
    r = results(cls, bits, which)
    # 1e-6 absolute: braintools' S2NN adds epsilon inside log(|x + 1| + epsilon).
    assert_close(r["fun"], r["fun_bt"], {32: 1e-6, 64: 1e-12}[bits], 1e-6)


def test_q_pseudo_spike_fun_at_alpha_one(f32):
    """alpha = 1 is a removable singularity of the smooth function (a logarithm)."""
    xs = points(SMOOTH_X)
    at_one = sx.QPseudoSpike(alpha=1.0)

    @jax.jit
    def compute():
        return (
            grad_of(at_one.surrogate_fun, xs),
            at_one.surrogate_grad(xs),
            at_one.surrogate_fun(xs),
            sx.QPseudoSpike(alpha=1.0 + 1e-6).surrogate_fun(xs),
            bts.QPseudoSpike(alpha=1.0).surrogate_fun(xs),
        )

    dfun, g, fun, near_one, fun_bt = compute()
    assert_close(dfun, g, 2e-6)
    assert_close(fun, near_one, 1e-5)
    assert_close(fun, fun_bt, 1e-6, 1e-7)


@entries
@which
def test_first_and_second_derivatives_finite_for_extreme_inputs(entry, which, bits):
    r = results(entry[0], bits, which)
    first, second = r["jvp_of_grad"]
    assert bool(jnp.all(jnp.isfinite(first)))
    assert bool(jnp.all(jnp.isfinite(second)))
    # second derivatives are those of surrogate_grad (the semantics of braintools >= 0.4)
    assert_close(second, r["dsgrad"], RTOL[bits], {32: 1e-7, 64: 1e-15}[bits])


@entries
def test_jvp_forward_mode(entry, bits):
    cls, _, _, kw = entry
    r = results(cls, bits, "custom")
    y, t = r["jvp"]
    np.testing.assert_array_equal(np.asarray(y), np.asarray(r["fwd_bt"]))
    assert t.dtype == DTYPE[bits]
    assert_close(t, r["grad_bt_times_t"], RTOL[bits])


# --------------------------------------------------------------- traced hyperparameters


@functools.lru_cache(maxsize=None)
def vmapped():
    """For every class: gradients vmapped over its first float hyperparameter (3 values)."""
    assert not jax.config.read("jax_enable_x64")
    xs = points(SMOOTH_X)

    def compute():
        out = {}
        for cls, fn, _, kw in REGISTRY:
            name = next(iter(floats(kw)))
            values = jnp.asarray([kw[name] * 0.5, kw[name], kw[name] * 2.0], jnp.float32)

            def grads(a, fn=fn, kw=kw, name=name):
                return grad_of(lambda x: fn(x, **{**kw, name: a}), xs)

            stacked = cls(**{**kw, name: values})
            axes = jax.tree_util.tree_map(lambda leaf: 0 if jnp.ndim(leaf) else None, stacked)
            out[cls.__name__] = {
                "batched": jax.vmap(grads)(values),
                "scalars": jnp.stack([grads(values[i]) for i in range(3)]),
                "instances": jax.vmap(lambda s: grad_of(s, xs), in_axes=(axes,))(stacked),
                "forward": jax.vmap(lambda a, fn=fn, kw=kw, name=name: fn(xs, **{**kw, name: a}))(
                    values
                ),
            }
        return out

    return jax.jit(compute)()


@entries
def test_vmap_over_hyperparameter(entry, f32):
    cls, fn, _, kw = entry
    r = vmapped()[cls.__name__]
    assert r["batched"].shape == r["forward"].shape == (3, N)
    # (a few float32 ulps: XLA folds scalar hyperparameter expressions differently from
    # batched ones; 1e-30 absolute: one path may flush a subnormal result to zero)
    assert_close(r["batched"], r["scalars"], 1e-5, 1e-30)
    assert_close(r["instances"], r["batched"], 1e-5, 1e-30)
    heaviside = sx.heaviside(points(SMOOTH_X))
    np.testing.assert_array_equal(np.asarray(r["forward"][1]), np.asarray(heaviside))
    # float32 hyperparameter arrays vs braintools' Python floats: hyperparameter-only
    # expressions (e.g. 2 pi / T) are rounded to float32 first, hence the looser tolerance
    want = results(cls, 32, "custom")["grad_bt_smooth"]
    assert_close(r["batched"][1], want, 2e-5, 1e-6)


def test_vmap_eager(f32):
    xs = points(SMOOTH_X)
    alphas = jnp.asarray([1.25, 2.5, 5.0], jnp.float32)  # as in vmapped()
    batched = jax.vmap(lambda a: grad_of(lambda x: sx.sigmoid(x, a), xs))(alphas)
    assert_close(batched, vmapped()["Sigmoid"]["batched"], 1e-5, 1e-30)
    assert_close(batched[1], results(sx.Sigmoid, 32, "custom")["grad_bt_smooth"], 2e-5, 1e-6)
    # per-element hyperparameters broadcast against x
    per_element = grad_of(lambda x: sx.sigmoid(x, jnp.asarray([1.0, 2.0, 4.0])), jnp.zeros(3))
    assert per_element.tolist() == [0.25, 0.5, 1.0]


def test_hyperparameter_must_broadcast_to_input():
    with pytest.raises(ValueError, match="broadcast"):
        sx.Sigmoid(alpha=jnp.ones(3))(jnp.zeros(()))
    with pytest.raises(ValueError, match="broadcast"):
        sx.relu_grad(jnp.zeros((2, 3)), 0.3, jnp.ones(2))


def test_jit_does_not_retrace_when_hyperparameters_change(f32):
    xs = points(SMOOTH_X)
    traces = []

    @jax.jit
    def all_grads(surrogates, x):
        traces.append("instances")
        return [grad_of(sg, x) for sg in surrogates]

    @jax.jit
    def all_grads_fn(hypers, x):
        traces.append("functions")
        return [
            grad_of(lambda x, fn=fn, h=h, kw=kw: fn(x, **h, **statics(kw)), x)
            for (_, fn, _, kw), h in zip(REGISTRY, hypers)
        ]

    def scaled(kw, scale):
        return {k: v * scale if isinstance(v, float) else v for k, v in kw.items()}

    for scale in (1.0, 1.25):
        kws = [scaled(e[3], scale) for e in REGISTRY]
        got = all_grads([e[0](**kw) for e, kw in zip(REGISTRY, kws)], xs)
        got_fn = all_grads_fn([floats(kw) for kw in kws], xs)
        if scale == 1.0:
            want = [results(e[0], 32, "custom")["grad_bt_smooth"] for e in REGISTRY]
        else:
            refs = [bt(e[0])(**kw) for e, kw in zip(REGISTRY, kws)]
            want = jax.jit(lambda refs=refs: [grad_of(ref, xs) for ref in refs])()
        for a, b, w in zip(got, got_fn, want):
            # float32 hyperparameter arrays vs Python floats: see test_vmap_over_hyperparameter
            assert_close(a, w, 2e-5, 1e-6)
            assert_close(b, w, 2e-5, 1e-6)
    assert traces == ["instances", "functions"]


def test_jit_traced_alpha_single_trace(f32):
    traces = []

    @jax.jit
    def g(x, alpha):
        traces.append(None)
        return jax.grad(sx.sigmoid)(x, alpha)

    for alpha in (1.0, 2.0, 4.0, 8.0):
        assert float(g(0.0, alpha)) == alpha / 4
    assert len(traces) == 1


@functools.lru_cache(maxsize=None)
def hyper_gradients():
    """Gradients with respect to every float hyperparameter of every class (and to x)."""
    assert not jax.config.read("jax_enable_x64")
    xs = points(SMOOTH_X)

    def compute():
        out = {}
        for cls, fn, _, kw in REGISTRY:
            d_fn = jax.grad(
                lambda h, fn=fn, kw=kw: jnp.sum(fn(xs, **h, **statics(kw)))
            )(floats(kw))
            d_sg, d_x = jax.grad(lambda s, x: jnp.sum(s(x)), argnums=(0, 1))(cls(**kw), xs)
            out[cls.__name__] = (d_fn, d_sg, d_x)
        return out

    return jax.jit(compute)()


@entries
def test_derivative_wrt_hyperparameters_is_zero(entry, f32):
    cls, _, _, kw = entry
    d_fn, d_sg, d_x = hyper_gradients()[cls.__name__]
    assert set(d_fn) == set(floats(kw))
    assert all(float(v) == 0.0 for v in d_fn.values())
    assert type(d_sg) is cls
    assert all(float(leaf) == 0.0 for leaf in jax.tree_util.tree_leaves(d_sg))
    # jointly with x: the x-gradient is still the surrogate gradient
    assert_close(d_x, results(cls, 32, "custom")["grad_bt_smooth"], 1e-6)


def test_derivative_wrt_hyperparameter_eager(f32):
    xs = points(SMOOTH_X)
    assert float(jax.grad(lambda a: jnp.sum(sx.sigmoid(xs, a)))(2.0)) == 0.0
    assert float(jax.grad(lambda w: jnp.sum(sx.relu_grad(xs, 0.3, w)))(1.0)) == 0.0


# ------------------------------------------------------------------------ custom subclass


class SpikaxTanh(sx.Surrogate):
    def __init__(self, alpha=2.0):
        self.alpha = alpha

    def surrogate_grad(self, x):  # derivative of (1 + tanh(alpha x)) / 2
        return 0.5 * self.alpha / jnp.cosh(self.alpha * x) ** 2


class BraintoolsTanh(bts.Surrogate):
    def __init__(self, alpha=2.0):
        super().__init__()
        self.alpha = alpha

    def surrogate_grad(self, x):
        return 0.5 * self.alpha / jnp.cosh(self.alpha * x) ** 2


class SpikaxExpSum(sx.Surrogate):
    """A user surrogate with a static integer and a non-numeric attribute."""

    static_fields = ("n",)

    def __init__(self, n=3, scale=0.5, mode="mean"):
        self.n = n
        self.scale = scale
        self.mode = mode

    def surrogate_grad(self, x):
        total = sum(jnp.exp(-k * self.scale * x**2) for k in range(1, self.n + 1))
        return total / self.n if self.mode == "mean" else total


def test_user_subclass_with_only_surrogate_grad(f32):
    xs = points(SMOOTH_X)
    sg = SpikaxTanh(alpha=2.0)
    want = grad_of(BraintoolsTanh(alpha=2.0), xs)
    np.testing.assert_array_equal(np.asarray(sg(xs)), np.asarray(BraintoolsTanh(2.0)(xs)))
    assert_close(grad_of(sg, xs), want, 1e-6)
    assert_close(jax.jit(grad_of)(sg, xs), want, 1e-6)
    assert_close(jax.vmap(jax.grad(sg))(xs), want, 1e-6)
    _, t = jax.jvp(sg, (xs,), (jnp.full_like(xs, 2.0),))
    assert_close(t, 2.0 * want, 1e-6)
    alphas = jnp.asarray([1.0, 2.0, 3.0], jnp.float32)
    batched = jax.vmap(lambda a: grad_of(SpikaxTanh(a), xs))(alphas)
    for row, a in zip(batched, [1.0, 2.0, 3.0]):
        assert_close(row, grad_of(BraintoolsTanh(a), xs), 1e-6)
    assert float(jax.grad(lambda a: jnp.sum(SpikaxTanh(a)(xs)))(2.0)) == 0.0
    with pytest.raises(NotImplementedError):
        sg.surrogate_fun(xs)
    assert repr(sg) == "SpikaxTanh(alpha=2.0)"
    assert sg == SpikaxTanh(2.0) and sg != SpikaxTanh(3.0)


def test_user_subclass_static_fields(f32):
    xs = points(SMOOTH_X)
    sg = SpikaxExpSum(n=3, scale=0.5, mode="sum")
    leaves, treedef = jax.tree_util.tree_flatten(sg)
    assert leaves == [0.5]
    assert jax.tree_util.tree_unflatten(treedef, leaves) == sg
    x64 = np.asarray(xs, np.float64)
    traces = []

    @jax.jit
    def g(s, x):
        traces.append(None)
        return grad_of(s, x)

    for scale in (0.5, 0.25):
        want = sum(np.exp(-k * scale * x64**2) for k in (1, 2, 3))
        assert_close(g(SpikaxExpSum(n=3, scale=scale, mode="sum"), xs), want, 1e-5)
    assert len(traces) == 1
    assert repr(sg) == "SpikaxExpSum(n=3, scale=0.5, mode='sum')"


# ---------------------------------------------------------------------------------- dtypes


@entries
def test_dtypes(entry, bits):
    cls, _, _, kw = entry
    sg = cls(**kw)
    fdt = DTYPE[bits]
    # float in: the same float out, value and gradient (float32 with x64 off, and float64
    # with x64 on, are checked in test_gradient_equals_braintools)
    if bits == 64:
        x = jax.ShapeDtypeStruct((N,), jnp.float32)
        assert jax.eval_shape(sg, x).dtype == jnp.float32
        assert jax.eval_shape(lambda x: grad_of(sg, x), x).dtype == jnp.float32
    # integers and booleans in: JAX's default float out
    default = jnp.result_type(float)
    assert default == fdt
    ints = jnp.asarray(np.resize([-2, 0, 3], N))
    for x in (ints, ints > 0, [-2, 0, 3], 3):
        out = sg(x)
        assert out.dtype == default
        np.testing.assert_array_equal(np.asarray(out), np.asarray(jnp.asarray(x) >= 0))
    assert sg([-2, 0, 3]).tolist() == [0.0, 1.0, 1.0]
    if bits == 64:
        # float32 input with strongly typed float64 hyperparameters: the gradient is computed
        # in float64 and returned as float32 (no custom_jvp dtype error)
        r = results(cls, 64, "custom")
        assert r["mixed"].dtype == jnp.float32
        assert_close(r["mixed"], r["mixed_bt"], 1e-6, 1e-7)


# ------------------------------------------------------------------------- repr and equality


@entries
def test_repr_and_equality(entry):
    cls, _, default, custom = entry
    assert repr(cls()) == repr(bt(cls)())
    assert repr(cls(**custom)) == repr(bt(cls)(**custom))
    assert cls(**custom) == cls(**custom)
    assert hash(cls(**custom)) == hash(cls(**custom))
    assert cls() == cls(**default)
    assert cls(**custom) != cls(**default)
    other = sx.Sigmoid if cls is not sx.Sigmoid else sx.SlayerGrad
    assert cls() != other()
    assert len({cls(), cls(**default), cls(**custom)}) == 2
    # 0-d arrays equal the Python numbers they hold
    arrays = {k: jnp.asarray(v) for k, v in floats(custom).items()}
    numbers = {k: float(v) for k, v in arrays.items()}
    assert cls(**arrays, **statics(custom)) == cls(**numbers, **statics(custom))
    assert hash(cls(**arrays, **statics(custom))) == hash(cls(**numbers, **statics(custom)))


def test_equal_surrogates_share_a_static_jit_cache_entry(f32):
    traces = []

    def g(sg, x):
        traces.append(None)
        return grad_of(sg, x)

    jg = jax.jit(g, static_argnums=0)
    xs = points(SMOOTH_X)
    jg(sx.Arctan(alpha=2.0), xs)
    jg(sx.Arctan(alpha=2.0), xs)
    assert len(traces) == 1
    jg(sx.Arctan(alpha=3.0), xs)
    assert len(traces) == 2


# --- crossing: spk_fun((v - threshold) / scale) at the cost of one comparison ----------------


def _crossing_cases(dtype):
    """Potentials around, at and exactly on per-neuron thresholds, with per-neuron scales."""
    rng = np.random.default_rng(0)
    th = rng.uniform(-60.0, 20.0, 64).astype(dtype)
    v = (th + rng.normal(0.0, 2.0, 64)).astype(dtype)
    v[::4] = th[::4]  # exactly at threshold: H(0) = 1
    v[1::8] = np.nextafter(th[1::8], -np.inf)  # one ulp below: no spike
    scale = rng.uniform(0.5, 30.0, 64).astype(dtype)
    return v, th, scale


@pytest.mark.parametrize("cls", [sx.Sigmoid, sx.ReluGrad, sx.MultiGaussianGrad,
                                 sx.SquarewaveFourierSeries])
def test_crossing_equals_the_composed_call(cls, bits):
    dtype = {32: np.float32, 64: np.float64}[bits]
    v, th, scale = _crossing_cases(dtype)
    sg = cls()
    composed = lambda v, th, sc: sg((v - th) / sc)  # noqa: E731
    fused = lambda v, th, sc: sx.crossing(sg, v, th, sc)  # noqa: E731
    want, got = composed(v, th, scale), jax.jit(fused)(v, th, scale)
    assert got.dtype == want.dtype == dtype
    np.testing.assert_array_equal(got, want)
    assert float(got[0]) == 1.0 and float(got[1]) == 0.0
    # Derivatives in all three arguments (reverse and forward mode), as the composed call's.
    g_want = jax.grad(lambda *a: jnp.sum(composed(*a) * jnp.arange(64)), (0, 1, 2))(v, th, scale)
    g_got = jax.jit(jax.grad(lambda *a: jnp.sum(fused(*a) * jnp.arange(64)), (0, 1, 2)))(
        v, th, scale)
    rtol = {32: 1e-6, 64: 1e-14}[bits]
    for a, b in zip(g_got, g_want):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0)
    assert any(bool(jnp.any(g != 0)) for g in g_want)  # the comparison is not vacuous
    tangent = (np.ones_like(v), np.full_like(th, 0.5), np.full_like(scale, -0.25))
    _, t_want = jax.jvp(composed, (v, th, scale), tangent)
    _, t_got = jax.jvp(fused, (v, th, scale), tangent)
    np.testing.assert_allclose(t_got, t_want, rtol=rtol, atol=0)
    # crossing_tangent: zero in value, the same derivatives
    carrier = lambda v, th, sc: sx.crossing_tangent(sg, v, th, sc)  # noqa: E731
    zero = jax.jit(carrier)(v, th, scale)
    assert zero.dtype == dtype
    np.testing.assert_array_equal(zero, np.zeros(64, dtype))
    g_carrier = jax.jit(jax.grad(lambda *a: jnp.sum(carrier(*a) * jnp.arange(64)), (0, 1, 2)))(
        v, th, scale)
    for a, b in zip(g_carrier, g_want):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0)
    _, t_carrier = jax.jvp(carrier, (v, th, scale), tangent)
    np.testing.assert_allclose(t_carrier, t_want, rtol=rtol, atol=0)


def test_crossing_broadcasts_batches_and_falls_back(f32):
    sg = sx.Sigmoid(alpha=2.0)
    v = jnp.array([[0.5, 1.0], [1.5, 0.9]])
    # scalar threshold, per-column scale; vmap over rows
    out = jax.vmap(lambda r: sx.crossing(sg, r, 1.0, jnp.array([1.0, 2.0])))(v)
    np.testing.assert_array_equal(out, [[0.0, 1.0], [1.0, 0.0]])
    # the derivative at v = threshold is g(0) / scale = (alpha / 4) / 2
    assert float(jax.grad(lambda x: sx.crossing(sg, x, 1.0, 2.0))(1.0)) == 0.25
    # a plain callable, and a Surrogate with its own __call__, are called on the quotient
    seen = []
    sx.crossing(lambda x: seen.append(x) or x, jnp.array(3.0), 1.0, 4.0)
    assert float(seen[0]) == 0.5

    class Shifted(sx.Sigmoid):
        def __call__(self, x):
            return super().__call__(x - 0.25)

    assert float(sx.crossing(Shifted(), 1.2, 1.0, 1.0)) == 0.0  # H(0.2 - 0.25)
    # integer inputs are promoted, as for the surrogates
    assert sx.crossing(sg, 2, 1, 1).dtype == jnp.result_type(float)
    with pytest.raises(ValueError, match="hyperparameter of shape"):
        sx.crossing(sx.Sigmoid(alpha=jnp.ones(3)), jnp.zeros(2), 0.0, 1.0)


def test_crossing_tangent_costs_nothing_forward_and_falls_back(f32):
    sg = sx.Sigmoid(alpha=2.0)
    v = jnp.linspace(0.0, 2.0, 8)
    # A strict spike with a surrogate gradient: the carrier adds no work to the forward pass
    # (no second comparison or subtraction in the compiled program).
    strict = lambda v: (v > 1.0).astype(v.dtype) + sx.crossing_tangent(sg, v, 1.0, 2.0)  # noqa: E731
    hlo = jax.jit(strict).lower(v).compile().as_text()
    assert hlo.count("compare(") == 1 and "subtract(" not in hlo
    np.testing.assert_array_equal(strict(v), (v > 1.0).astype(v.dtype))
    # its gradient is the surrogate's, g((v - 1) / 2) / 2, also where the strict test is 0
    np.testing.assert_allclose(jax.grad(lambda x: jnp.sum(strict(x)))(v),
                               sg.surrogate_grad((v - 1.0) / 2.0) / 2.0, rtol=1e-6)
    # other callables: s - stop_gradient(s) of the composed call
    plain = lambda x: jax.nn.sigmoid(4.0 * x)  # noqa: E731
    assert float(sx.crossing_tangent(plain, 1.5, 1.0, 2.0)) == 0.0
    assert float(jax.grad(lambda x: sx.crossing_tangent(plain, x, 1.0, 2.0))(1.0)) == \
        pytest.approx(0.5)  # 4 * sigmoid'(0) / 2
    with pytest.raises(ValueError, match="hyperparameter of shape"):
        sx.crossing_tangent(sx.Sigmoid(alpha=jnp.ones(3)), jnp.zeros(2), 0.0, 1.0)
