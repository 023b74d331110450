"""Tests of spikax.propagators: NEST parity, exactness vs. expm, gradients, float32, units.

Notation: x = h/tau_s - h/tau_m = h (tau_m - tau_s) / (tau_s tau_m). NEST switches its P31
formula at |x| ~ 1e-7 (h == 1e-7 tau_m^2 / |tau_m - tau_s|); its regular formula loses
~2 eps/|x| to cancellation and its tau_s == tau_m fallback is off by ~2|x|/3, so NEST's
P31 is within 1e-12 of the exact value only for |x| <= 1e-12 or |x| >= 1e-3: the band
1e-12 < |x| < 1e-3 around the switch is where it may be off by up to ~1e-7.
"""

from __future__ import annotations

import decimal
import itertools
import re
from decimal import Decimal

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import saiunit as u
from jax.scipy.linalg import expm
from jax.test_util import check_grads

from spikax import propagators

EPS64 = np.finfo(np.float64).eps
BAND = (1e-12, 1e-3)  # |x| in this band: NEST's own P31 is not exact to 1e-12
MODES = ("nest", "stable")


@pytest.fixture(scope="module", autouse=True)
def x64():
    """Float64 for this module (brainstate 0.5 turns it off on import); restored after."""
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)


# ----------------------------------------------------------------------------------------
# references
# ----------------------------------------------------------------------------------------


def nest_reference(tau_syn, tau_m, c_m, h):
    """NEST's IAFPropagatorAlpha::evaluate (iaf_propagator.cpp) restated in NumPy float64.

    Returns (P31, P32, p31_regular). Same operations, same order, libm exp/expm1.
    """
    ts, tm, c, h = (np.float64(v) for v in (tau_syn, tau_m, c_m, h))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        dtau = tm - ts
        h_min_regular = 1e-7 * tm * tm / np.abs(dtau)
        beta = ts * tm / dtau
        gamma = beta / c
        inv_tau_syn, inv_tau_m, inv_c = 1 / ts, 1 / tm, 1 / c
        inv_beta = dtau / (ts * tm)
        exp_h_tau_syn = np.exp(-h * inv_tau_syn)
        expm1_h_tau = np.expm1(h * inv_beta)
        p32 = gamma * exp_h_tau_syn * expm1_h_tau
        if not (np.isfinite(p32) and p32 >= np.finfo(np.float64).tiny):  # isnormal, > 0
            p32 = h * inv_c * np.exp(-h * inv_tau_m)
        if h > h_min_regular:
            return gamma * exp_h_tau_syn * (beta * expm1_h_tau - h), p32, True
        return 0.5 * h * h * inv_c * np.exp(-h * inv_tau_m), p32, False


def expm_reference(tau_syn, tau_m, c_m, h):
    """All entries from jax.scipy.linalg.expm of the system with a constant current I0.

    States (y1 = dI/dt, y2 = I, V, I0). expm is normwise accurate, and P31 ~ h^2/C is tiny
    next to the O(1) entries, so the exponential is taken of the similar matrix S A h S^-1,
    S = diag(1, 1/h, C/h^2, 1/h), whose entries are all O(1); its exponential is
    S e^{Ah} S^-1, from which the entries are read back exactly (scalings by h and C).
    """
    ts, tm, c, h = (np.broadcast_to(np.asarray(v, np.float64), np.shape(tau_syn))
                    for v in (tau_syn, tau_m, c_m, h))
    a, b = h / ts, h / tm
    m = np.zeros(ts.shape + (4, 4))
    m[..., 0, 0] = m[..., 1, 1] = -a
    m[..., 2, 2] = -b
    m[..., 1, 0] = m[..., 2, 1] = m[..., 2, 3] = 1.0
    e = np.asarray(jax.vmap(expm)(jnp.asarray(m.reshape(-1, 4, 4)))).reshape(m.shape)
    return {
        "P11": e[..., 0, 0], "P22": e[..., 1, 1], "P21": e[..., 1, 0] * h,
        "P33": e[..., 2, 2], "P30": e[..., 2, 3] * h / c,
        "P31": e[..., 2, 0] * h * h / c, "P32": e[..., 2, 1] * h / c,
    }


def exact_decimal(ts, tm, c, h):
    """(P31, P32) from the closed form in 150-digit decimal arithmetic (Decimal args)."""
    x = h / ts - h / tm
    if x == 0:
        e = (-h / tm).exp()
        return h * h / c * e / 2, h / c * e
    es = (-h / ts).exp()
    em1 = x.exp() - 1
    return h * h / c * es * (em1 - x) / (x * x), h / c * es * em1 / x


def exact_gradient(args, k):
    """d P3k / d(args) by a central difference of the 150-digit closed form (step 1e-25)."""
    with decimal.localcontext() as ctx:
        ctx.prec = 150
        step = Decimal("1e-25")
        base = [Decimal(float(v)) for v in args]
        grads = []
        for i in range(4):
            up, down = list(base), list(base)
            up[i] += step
            down[i] -= step
            grads.append(float((exact_decimal(*up)[k] - exact_decimal(*down)[k]) / (2 * step)))
    return np.array(grads)


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.abs(a - b) / np.abs(b)


def _grid():
    dtaus = [0.0, 1e-12, -1e-12, 1e-9, -1e-9, 1e-6, -1e-6, 1e-3, -1e-3, 1e-1, -1e-1, 5.0, -5.0]
    pts = [(tm + dt, tm, c, h)
           for tm, dt, h, c in itertools.product([1.0, 10.0, 100.0], dtaus,
                                                 [0.001, 0.01, 0.1], [1.0, 100.0])
           if tm + dt > 0]
    return tuple(np.array(col) for col in zip(*pts))


TS, TM, C, H = _grid()
X = H * (TM - TS) / (TS * TM)


# ----------------------------------------------------------------------------------------
# NEST test vectors and NEST parity
# ----------------------------------------------------------------------------------------

VECTORS = [
    ((10.0, 10.0, 100.0, 0.1), 4.9502491687458416e-05, 9.90049833749168e-04),
    ((10.0 + 1e-6, 10.0, 100.0, 0.1), 4.9502491687458416e-05, 9.900498342441928e-04),
    ((10.0 + 1e-3, 10.0, 100.0, 0.1), 4.9502524696413245e-05, 9.900503287247524e-04),
]


@pytest.mark.parametrize("args, p31, p32", VECTORS)
def test_nest_vectors(args, p31, p32):
    got31, got32 = propagators.iaf_propagator_alpha(*args)  # float64 -> mode 'nest'
    assert got31.dtype == jnp.float64
    np.testing.assert_allclose(float(got31), p31, rtol=1e-14, atol=0)
    np.testing.assert_allclose(float(got32), p32, rtol=1e-14, atol=0)
    np.testing.assert_allclose(float(propagators.iaf_propagator_exp(*args)), p32, rtol=1e-14)
    ref31, ref32, _ = nest_reference(*args)
    np.testing.assert_allclose([p31, p32], [ref31, ref32], rtol=1e-15)  # the restatement


def test_nest_mode_matches_numpy_restatement_on_grid():
    p31, p32 = propagators.iaf_propagator_alpha(TS, TM, C, H, mode="nest")
    ref = [nest_reference(*a) for a in zip(TS, TM, C, H)]
    ref31, ref32 = np.array([r[0] for r in ref]), np.array([r[1] for r in ref])
    assert rel(p31, ref31).max() <= 1e-14
    assert rel(p32, ref32).max() <= 1e-14
    assert np.mean(np.asarray(p31) == ref31) > 0.5  # mostly bit-identical
    p32_exp = propagators.iaf_propagator_exp(TS, TM, C, H, mode="nest")
    assert rel(p32_exp, ref32).max() <= 1e-14
    # both P31 branches occur on the grid
    regular = np.array([r[2] for r in ref])
    assert regular.any() and (~regular).any()


def test_nest_mode_at_the_switch_points():
    """h exactly at NEST's h_min_regular (fallback) and one ulp above it (regular)."""
    cases = []
    for tm, dt in itertools.product([1.0, 10.0, 100.0], [1e-6, -1e-6, 1e-4, -1e-4, 3e-3]):
        ts = tm + dt
        h_min = 1e-7 * tm * tm / abs(tm - ts)
        cases += [(ts, tm, 250.0, h_min, False), (ts, tm, 250.0, np.nextafter(h_min, np.inf), True)]
    ts, tm, c, h, want_regular = (np.array(v) for v in zip(*cases))
    p31, p32 = propagators.iaf_propagator_alpha(ts, tm, c, h, mode="nest")
    ref = [nest_reference(*a[:4]) for a in cases]
    assert [r[2] for r in ref] == list(want_regular)
    ref31 = np.array([r[0] for r in ref])
    # the two branches differ by ~2|x|/3 ~ 7e-8 here: 1e-14 pins the branch
    assert rel(p31, ref31).max() <= 1e-14
    assert rel(p32, [r[1] for r in ref]).max() <= 1e-14


@pytest.mark.parametrize("h", [0.1, 0.25])
def test_nest_parity_inside_jit_and_vmap_with_constant_step(h):
    """Inside a user's jit, with h and C compile-time constants, XLA fuses and folds more
    (e.g. multiply-adds); NEST parity must survive that, and vmap over tau_syn."""
    ref = np.array([nest_reference(a, b, 250.0, h)[:2] for a, b in zip(TS, TM)]).T
    jitted = jax.jit(lambda ts, tm: jnp.stack(
        propagators.iaf_propagator_alpha(ts, tm, 250.0, h, mode="nest")))(TS, TM)
    mapped = jax.jit(jax.vmap(lambda ts, tm: jnp.stack(
        propagators.iaf_propagator_alpha(ts, tm, 250.0, h, mode="nest"))))(TS, TM).T
    for got in (jitted, mapped):
        assert rel(got, ref).max() <= 1e-14


def test_default_mode_by_dtype_and_mode_errors():
    args64 = (10.0 + 1e-5, 10.0, 100.0, 0.1)
    np.testing.assert_array_equal(propagators.iaf_propagator_alpha(*args64),
                                  propagators.iaf_propagator_alpha(*args64, mode="nest"))
    args32 = tuple(np.float32(v) for v in args64)
    np.testing.assert_array_equal(propagators.iaf_propagator_alpha(*args32),
                                  propagators.iaf_propagator_alpha(*args32, mode="stable"))
    for fn in (propagators.iaf_propagator_alpha, propagators.iaf_propagator_exp):
        with pytest.raises(ValueError, match="'nest'.*'stable'"):
            fn(*args64, mode="exact")
    assert propagators.MODES == ("nest", "stable")


# ----------------------------------------------------------------------------------------
# exactness against the matrix exponential
# ----------------------------------------------------------------------------------------


def test_stable_mode_matches_expm_everywhere():
    ref = expm_reference(TS, TM, C, H)
    p31, p32 = propagators.iaf_propagator_alpha(TS, TM, C, H, mode="stable")
    assert rel(p31, ref["P31"]).max() <= 1e-12
    assert rel(p32, ref["P32"]).max() <= 1e-12
    p32_exp = propagators.iaf_propagator_exp(TS, TM, C, H, mode="stable")
    assert rel(p32_exp, ref["P32"]).max() <= 1e-12


def test_nest_mode_matches_expm_outside_band_and_1e7_inside():
    ref = expm_reference(TS, TM, C, H)
    p31, p32 = (np.asarray(v) for v in propagators.iaf_propagator_alpha(TS, TM, C, H, mode="nest"))
    err31 = rel(p31, ref["P31"])
    band = (np.abs(X) > BAND[0]) & (np.abs(X) < BAND[1])
    assert band.any() and (~band).any()
    assert err31[~band].max() <= 1e-12
    assert err31[band].max() <= 1e-7
    # finer: NEST's error model, branch by branch
    regular = np.array([nest_reference(*a)[2] for a in zip(TS, TM, C, H)])
    assert np.all(err31[regular] <= 1e-13 + 8 * EPS64 / np.abs(X[regular]))
    assert np.all(err31[~regular] <= 1e-13 + np.abs(X[~regular]))
    assert rel(p32, ref["P32"]).max() <= 1e-12  # P32 is exact to rounding in NEST's form


def test_trivial_entries_match_expm():
    ref = expm_reference(TS, TM, C, H)
    p11, p21 = propagators.alpha_decay(TS, H)
    p33, p30 = propagators.membrane_propagators(TM, C, H)
    assert rel(p11, ref["P11"]).max() <= 1e-12
    assert rel(p11, ref["P22"]).max() <= 1e-12
    assert rel(p21, ref["P21"]).max() <= 1e-12
    assert rel(p33, ref["P33"]).max() <= 1e-12
    assert rel(p30, ref["P30"]).max() <= 1e-12
    assert rel(propagators.decay(TM, H), ref["P33"]).max() <= 1e-12
    np.testing.assert_allclose(propagators.decay_expm1(TM, H), ref["P33"] - 1, rtol=1e-9)
    # NEST's forms, to the ulp (XLA's exp/expm1 may differ from libm by one ulp)
    np.testing.assert_allclose(p11, np.exp(-H / TS), rtol=2 * EPS64, atol=0)
    np.testing.assert_allclose(p21, H * np.exp(-H / TS), rtol=2 * EPS64, atol=0)
    np.testing.assert_allclose(p30, -TM / C * np.expm1(-H / TM), rtol=2 * EPS64, atol=0)
    np.testing.assert_allclose(propagators.decay_expm1(TM, H), np.expm1(-H / TM),
                               rtol=2 * EPS64, atol=0)


def test_expm_reference_is_itself_exact():
    """The expm reference agrees with a 150-digit closed form (guards the reference)."""
    ref = expm_reference(TS, TM, C, H)
    with decimal.localcontext() as ctx:
        ctx.prec = 150
        exact = np.array([[float(v) for v in exact_decimal(*(Decimal(float(a)) for a in args))]
                          for args in zip(TS, TM, C, H)])
    assert rel(ref["P31"], exact[:, 0]).max() <= 1e-14
    assert rel(ref["P32"], exact[:, 1]).max() <= 1e-14


# ----------------------------------------------------------------------------------------
# continuity
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode, tol", [("nest", 1e-7), ("stable", 1e-13)])
def test_continuous_through_equal_time_constants(mode, tol):
    tm, c, h = 10.0, 100.0, 0.1
    d = np.logspace(-14, 0, 300)
    ts = np.unique(tm + np.concatenate([-d, [0.0], d]))  # sorted, no duplicates
    p31, p32 = (np.asarray(v) for v in propagators.iaf_propagator_alpha(ts, tm, c, h, mode=mode))
    ref = expm_reference(ts, np.full_like(ts, tm), c, h)
    assert rel(p31, ref["P31"]).max() <= tol
    assert rel(p32, ref["P32"]).max() <= 1e-13
    for p, exact in ((p31, ref["P31"]), (p32, ref["P32"])):
        assert np.all(np.isfinite(p))
        # each step in tau_s changes P as the exact value does, up to the mode's error
        jumps = np.abs(np.diff(p))
        allowed = np.abs(np.diff(exact)) + 2 * tol * p[1:] + 8 * EPS64 * p[1:]
        assert np.all(jumps <= allowed)
        # the exact values rise with tau_syn (a slower synapse delivers more charge)
        assert np.all(np.diff(exact) >= -8 * EPS64 * exact[1:])


# ----------------------------------------------------------------------------------------
# gradients
# ----------------------------------------------------------------------------------------


def _stacked(mode):
    def f(ts, tm, c, h):
        p31, p32 = propagators.iaf_propagator_alpha(ts, tm, c, h, mode=mode)
        return jnp.stack([p31, p32, propagators.iaf_propagator_exp(ts, tm, c, h, mode=mode)])
    return f


ARGNUMS = (0, 1, 2, 3)
# compiled once per mode and reused by the tests below: (P31, P32, P32_exp) and Jacobians
STACKED = {m: jax.jit(_stacked(m)) for m in MODES}
JAC_REV = {m: jax.jit(jax.vmap(jax.jacrev(_stacked(m), argnums=ARGNUMS))) for m in MODES}
JAC_FWD = {m: jax.jit(jax.jacfwd(_stacked(m), argnums=ARGNUMS)) for m in MODES}

NEAR = [0.0, 1e-12, -1e-12, 1e-9, -1e-9, 1e-6, -1e-6, 1e-4, -1e-4]


@pytest.mark.parametrize("mode", MODES)
def test_gradients_finite_at_and_near_singularity(mode):
    """jax.grad w.r.t. every argument, float32 and float64, at tau_s == tau_m and near it."""
    pts = [(tm + dt, tm, 250.0, h) for (tm, h), dt in
           itertools.product([(10.0, 0.1), (1.0, 0.01), (100.0, 1.0)], NEAR)]
    args64 = tuple(np.array(col) for col in zip(*pts))
    args32 = tuple(a.astype(np.float32) for a in args64)
    assert args64[0][0] == args64[1][0]  # exactly equal time constants included
    grads = {}
    for dtype, args in ((np.float32, args32), (np.float64, args64)):
        grads[dtype] = JAC_REV[mode](*args)
        for g in grads[dtype]:  # d(P31, P32, P32_exp) / d(tau_syn, tau_m, c_m, h)
            assert g.dtype == dtype and g.shape == (len(pts), 3)
            assert np.all(np.isfinite(np.asarray(g)))
            assert np.all(np.abs(np.asarray(g))[:, :2].max(axis=1) > 0)
    # float32 gradients agree with float64 ones at the same (float32-rounded) arguments
    want = JAC_REV[mode](*(a.astype(np.float64) for a in args32))
    for g32, g64 in zip(grads[np.float32], want):
        scale = np.abs(np.asarray(g64)).max(axis=0)  # per output, over the sweep
        err = np.abs(np.asarray(g32, np.float64) - g64)
        assert np.all(err <= 1e-5 * scale + 1e-4 * np.abs(g64))


@pytest.mark.parametrize("mode", MODES)
def test_gradients_are_exact_derivatives(mode):
    """Float64 gradients vs. a 150-digit central difference, at and near tau_s == tau_m."""
    for dt, (tm, c, h) in itertools.product([0.0, 1e-12, -1e-9, 1e-6, -1e-4, 1e-3, 0.5, -3.0],
                                            [(10.0, 250.0, 0.1), (1.0, 1.0, 0.01)]):
        args = (tm + dt, tm, c, h)
        jac = np.array(JAC_FWD[mode](*args))  # (arg, out)
        for k in (0, 1):
            np.testing.assert_allclose(jac[:, k], exact_gradient(args, k), rtol=1e-13, atol=0)
        np.testing.assert_allclose(jac[:, 2], jac[:, 1], rtol=4 * EPS64)  # iaf_propagator_exp


# Finite differences resolve NEST's regular P31 only where its cancellation noise
# (~2 eps/|x|) is small against the step: away from the switch means |x| >= 0.05 here.
AWAY = [(3.0, 10.0, 250.0, 1.0), (25.0, 10.0, 100.0, 0.5), (4.0, 2.0, 50.0, 0.3),
        (0.5, 20.0, 200.0, 1.0)]
NEAR_POINTS = [(10.0, 10.0, 250.0, 0.1), (10.0 + 1e-12, 10.0, 250.0, 0.1),
               (10.0 - 1e-9, 10.0, 250.0, 0.1), (10.7, 10.0, 250.0, 0.1)]


def _points(mode):
    # the stable form is smooth everywhere, also across tau_s == tau_m
    return AWAY + (NEAR_POINTS if mode == "stable" else [])


@pytest.mark.parametrize("mode", MODES)
def test_check_grads_away_from_switch(mode):
    # all points at once (the functions are element-wise), scaled so that each one counts
    args = tuple(jnp.asarray(col, jnp.float64) for col in zip(*_points(mode)))
    scale = STACKED[mode](*args)
    check_grads(lambda *a: STACKED[mode](*a) / scale, args, order=1, modes=("fwd", "rev"))


@pytest.mark.parametrize("mode", MODES)
def test_central_finite_differences(mode):
    for point in _points(mode):
        args = [float(v) for v in point]
        jac = np.array(JAC_FWD[mode](*args))  # (arg, out)
        for i in range(4):
            step = 1e-5 * args[i]
            up, down = list(args), list(args)
            up[i] += step
            down[i] -= step
            fd = (np.asarray(STACKED[mode](*up)) - np.asarray(STACKED[mode](*down))) / (2 * step)
            np.testing.assert_allclose(jac[i], fd, rtol=1e-7)


# ----------------------------------------------------------------------------------------
# float32
# ----------------------------------------------------------------------------------------


def test_float32_accuracy_including_singular_band():
    ratio = np.concatenate([np.linspace(0.5, 2.0, 301),
                            1 - np.logspace(-9, -1, 60), 1 + np.logspace(-9, -1, 60), [1.0]])
    worst = 0.0
    for tm, h, c in itertools.product([1.0, 10.0, 100.0], [0.001, 0.1, 1.0], [1.0, 250.0]):
        ts32 = (ratio * tm).astype(np.float32)
        args32 = (ts32, np.float32(tm), np.float32(c), np.float32(h))
        p31, p32 = propagators.iaf_propagator_alpha(*args32)  # float32 -> mode 'stable'
        assert p31.dtype == p32.dtype == jnp.float32
        exact = propagators.iaf_propagator_alpha(*(np.asarray(a, np.float64) for a in args32),
                                                 mode="stable")
        p32e = propagators.iaf_propagator_exp(*args32)
        worst = max(worst, rel(p31, exact[0]).max(), rel(p32, exact[1]).max(),
                    rel(p32e, exact[1]).max())
    assert worst <= 1e-5


def test_float32_nest_mode_is_nest_formula():
    """mode='nest' in float32 evaluates NEST's formulas as asked (inaccurate there)."""
    args = tuple(np.float32(v) for v in (10.5, 10.0, 100.0, 0.1))
    p31, p32 = propagators.iaf_propagator_alpha(*args, mode="nest")
    assert p31.dtype == jnp.float32
    ref31, ref32, _ = nest_reference(*args)
    np.testing.assert_allclose(float(p32), ref32, rtol=1e-5)
    assert np.isfinite(float(p31))


def test_half_precision_inputs_computed_in_float32():
    p31, p32 = propagators.iaf_propagator_alpha(*(np.float16(v) for v in (5.0, 10.0, 250.0, 0.125)))
    assert p31.dtype == p32.dtype == jnp.float16
    e31, e32 = propagators.iaf_propagator_alpha(5.0, 10.0, 250.0, 0.125)
    assert rel(p31, e31) <= 2e-3 and rel(p32, e32) <= 2e-3


# ----------------------------------------------------------------------------------------
# broadcasting, vmap, jit
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_heterogeneous_arrays_broadcast(mode):
    ts = np.array([[2.0], [10.0], [10.0 + 1e-8]])  # (3, 1)
    tm = np.array([5.0, 10.0, 20.0, 10.0])  # (4,)
    c = np.array([100.0, 250.0, 250.0, 1.0])
    p31, p32 = propagators.iaf_propagator_alpha(ts, tm, c, 0.1, mode=mode)
    p32e = propagators.iaf_propagator_exp(ts, tm, c, 0.1, mode=mode)
    assert p31.shape == p32.shape == p32e.shape == (3, 4)
    for i, j in itertools.product(range(3), range(4)):
        s31, s32 = propagators.iaf_propagator_alpha(ts[i, 0], tm[j], c[j], 0.1, mode=mode)
        # scalar and vectorized exp may differ in the last bit
        np.testing.assert_allclose([p31[i, j], p32[i, j], p32e[i, j]], [s31, s32, s32],
                                   rtol=4 * EPS64, atol=0)
    p11, p21 = propagators.alpha_decay(ts, np.array([0.1, 0.2]))
    p33, p30 = propagators.membrane_propagators(tm, c, np.array([[0.1], [0.2]]))
    assert p11.shape == p21.shape == (3, 2) and p33.shape == p30.shape == (2, 4)


@pytest.mark.parametrize("mode", MODES)
def test_vmap_and_jit(mode):
    ts = jnp.array([2.0, 10.0, 10.0 + 1e-7, 30.0])
    tm = jnp.array([10.0, 10.0, 10.0, 15.0])

    def alpha(a, b):
        return jnp.stack(propagators.iaf_propagator_alpha(a, b, 250.0, 0.1, mode=mode))

    eager = alpha(ts, tm)
    mapped = jax.vmap(alpha)(ts, tm).T
    np.testing.assert_allclose(mapped, eager, rtol=4 * EPS64)
    # jit of vmap of value_and_grad, w.r.t. both time constants
    values, grads = jax.jit(jax.vmap(jax.value_and_grad(
        lambda a, b: propagators.iaf_propagator_exp(a, b, 250.0, 0.1, mode=mode),
        argnums=(0, 1))))(ts, tm)
    np.testing.assert_allclose(values, eager[1], rtol=4 * EPS64)
    assert all(np.all(np.isfinite(np.asarray(g))) for g in grads)
    assert np.all(np.asarray(grads[0]) > 0)  # a slower synapse delivers more charge


# ----------------------------------------------------------------------------------------
# units
# ----------------------------------------------------------------------------------------


def test_quantities_give_the_same_numbers():
    plain = propagators.iaf_propagator_alpha(7.0, 10.0, 250.0, 0.1)
    for args in [(7.0 * u.ms, 10.0 * u.ms, 250.0 * u.pF, 0.1 * u.ms),
                 (0.007 * u.second, 0.01 * u.second, 0.25 * u.nF, 1e-4 * u.second),
                 (7.0 * u.ms, 10.0, 0.25 * u.nF, 0.1)]:
        got = propagators.iaf_propagator_alpha(*args)
        np.testing.assert_allclose(got, plain, rtol=1e-13)
        np.testing.assert_allclose(propagators.iaf_propagator_exp(*args), plain[1], rtol=1e-13)
    arr = propagators.iaf_propagator_alpha(np.array([7.0, 9.0]) * u.ms, 10.0 * u.ms,
                                           250.0 * u.pF, 0.1 * u.ms)
    assert arr[0].shape == (2,)
    np.testing.assert_allclose(arr[1][0], plain[1], rtol=1e-13)
    np.testing.assert_allclose(propagators.decay(0.01 * u.second, 100 * u.us),
                               propagators.decay(10.0, 0.1), rtol=1e-13)
    np.testing.assert_allclose(propagators.alpha_decay(2.0 * u.ms, 0.1 * u.ms),
                               propagators.alpha_decay(2.0, 0.1), rtol=1e-13)
    np.testing.assert_allclose(propagators.membrane_propagators(10.0 * u.ms, 0.25 * u.nF,
                                                                0.1 * u.ms),
                               propagators.membrane_propagators(10.0, 250.0, 0.1), rtol=1e-13)
    np.testing.assert_allclose(propagators.decay_expm1(10.0 * u.ms, 0.1 * u.ms),
                               propagators.decay_expm1(10.0, 0.1), rtol=1e-13)


@pytest.mark.parametrize("fn, argnames", [
    (propagators.iaf_propagator_alpha, ("tau_syn", "tau_m", "c_m", "h")),
    (propagators.iaf_propagator_exp, ("tau_syn", "tau_m", "c_m", "h")),
    (propagators.membrane_propagators, ("tau_m", "c_m", "h")),
    (propagators.alpha_decay, ("tau_syn", "h")),
    (propagators.decay, ("tau", "h")),
    (propagators.decay_expm1, ("tau", "h")),
])
def test_wrong_units_name_the_argument(fn, argnames):
    good = {"tau_syn": 5.0 * u.ms, "tau_m": 10.0 * u.ms, "tau": 10.0 * u.ms,
            "c_m": 250.0 * u.pF, "h": 0.1 * u.ms}
    wrong = {"tau_syn": 5.0 * u.mV, "tau_m": 10.0 * u.pF, "tau": 1.0 * u.pA,
             "c_m": 250.0 * u.ms, "h": 0.1 * u.nS}
    for name in argnames:
        args = [wrong[n] if n == name else good[n] for n in argnames]
        with pytest.raises((TypeError, ValueError)) as info:
            fn(*args)
        message = str(info.value)
        assert re.search(rf"\b{name}\b", message), message
        assert str(wrong[name].unit) in message and str(good[name].unit) in message, message
