"""AdExIFRef: brainpy.state parity traces, w relaxation, refractoriness, overflow safety,
validation."""

import math
from pathlib import Path

import braintools
import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import saiunit as u

import spikax
from spikax.functional import AdExParams, AdExState, adex_step, exp_euler
from tests.neurons._brainpy_replay import replay
from tests.registry import run
from tests.tolerances import ANALYTIC_F64_MV, BRAINPY_PARITY_MA, BRAINPY_PARITY_MV

REF_FILES = sorted((Path(__file__).resolve().parents[1] / "reference").glob("brainpy_adex_*.npz"))
DEFAULTS = AdExParams(tau=10.0, tau_w=30.0, tau_ref=1.75, R=1e-9, V_th=-55.0, V_reset=-68.0,
                      V_rest=-65.0, V_T=-59.9, delta_T=3.48, a=1e9, b=1e9)  # ms, GOhm, mV, nS, pA


def test_reference_files_are_present():
    # tau_ref 1.75 soft/hard, defaults x 20 mA hard, ref_var, random drive + conductance
    assert len(REF_FILES) == 5


@pytest.mark.parametrize("path", REF_FILES, ids=[p.stem for p in REF_FILES])
def test_matches_brainpy_state_trace(path):
    """Replays a brainpy.state.AdExIFRef 2.9.0 run (tests/reference/make_brainpy_refs.py)."""
    ref, meta, spikes, trace = replay(path, spikax.AdExIFRef)
    np.testing.assert_array_equal(spikes, ref["spike"])
    np.testing.assert_array_equal(trace["last_spike_time"], ref["last_spike_time"])
    np.testing.assert_allclose(trace["V"], ref["V"], rtol=0, atol=BRAINPY_PARITY_MV)
    np.testing.assert_allclose(trace["w"], ref["w"], rtol=0, atol=BRAINPY_PARITY_MA)
    if meta["ref_var"]:
        np.testing.assert_array_equal(trace["refractory"], ref["refractory"])
    assert ref["spike"].sum() >= 3


def test_default_spike_steps_of_models_md():
    """models.md section 9: defaults, 20 mA, hard reset: spikes at steps 51, 139, 232."""
    n = spikax.AdExIFRef(1, spk_reset="hard")
    n.init_state()
    spikes, _ = run(n, jnp.full((300, 1), 20.0) * u.mA)
    np.testing.assert_array_equal(np.flatnonzero(np.asarray(spikes[:, 0])), [51, 139, 232])


def test_w_relaxes_exactly_towards_a_times_the_new_V():
    """w_{k+1} = w_inf + (w_k - w_inf) e^{-dt/tau_w} with w_inf = a (V_{k+1} - V_rest): the
    linear w equation is integrated exactly, with the already updated V."""
    n = spikax.AdExIFRef(1, a=0.4 * u.siemens, w_initializer=braintools.init.Constant(5 * u.mA))
    n.init_state()
    spikes, V = run(n, jnp.full((50, 1), 2.0) * u.mA)  # sub-threshold: no spikes, no resets
    assert float(spikes.sum()) == 0
    ws = [5.0]
    for k in range(50):  # replay the w update from the module's V trace
        w_inf = 0.4 * (float(V[k, 0]) + 65.0)  # S * mV = mA
        ws.append(w_inf + (ws[-1] - w_inf) * np.exp(-0.1 / 30.0))
    np.testing.assert_allclose(n.w.value.to_decimal(u.mA)[0], ws[-1], rtol=0, atol=1e-12)


def test_w_decays_exponentially_without_coupling():
    n = spikax.AdExIFRef(1, a=0.0 * u.siemens, w_initializer=braintools.init.Constant(3 * u.mA))
    n.init_state()
    steps = 200
    spikes, _ = run(n, jnp.zeros((steps, 1)) * u.mA)
    assert float(spikes.sum()) == 0
    np.testing.assert_allclose(n.w.value.to_decimal(u.mA), 3 * np.exp(-steps * 0.1 / 30.0),
                               rtol=1e-13)


@pytest.mark.parametrize("tau_ref", [0.0, 0.35, 0.55, 1.75, 2.05])
def test_refractory_hold_is_ceil_tau_ref_over_dt_minus_one(tau_ref):
    """A saturating current re-fires at the first non-refractory step, so the inter-spike
    interval is the hold (ceil(tau_ref/dt) - 1 steps with V at V_reset) plus one."""
    n = spikax.AdExIFRef(1, tau_ref=tau_ref * u.ms, spk_reset="hard", ref_var=True)
    n.init_state()
    spikes, V = run(n, jnp.full((120, 1), 1e4) * u.mA)
    steps = np.flatnonzero(np.asarray(spikes[:, 0]))
    isi = max(math.ceil(tau_ref / 0.1 - 1e-9), 1)
    assert len(steps) > 5 and set(np.diff(steps)) == {isi}
    held = np.asarray(V[steps[0] + 1: steps[1], 0])
    np.testing.assert_array_equal(held, np.full(isi - 1, -68.0))
    assert bool(n.refractory.value[0]) and n.refractory.value.dtype == bool


def test_ref_var_state_only_when_asked():
    n = spikax.AdExIFRef(2)
    n.init_state(batch_size=3)
    assert not hasattr(n, "refractory")
    m = spikax.AdExIFRef(2, ref_var=True)
    m.init_state(batch_size=3)
    assert m.refractory.value.shape == (3, 2) and not bool(m.refractory.value.any())
    assert m.last_spike_time.value.shape == (3, 2)
    np.testing.assert_array_equal(m.last_spike_time.value.to_decimal(u.ms), -1e7)


def test_time_defaults_to_steps_times_dt():
    """Without `t` in brainstate.environ the step count gives t = n_steps * dt."""
    a = spikax.AdExIFRef(1, tau_ref=1.75 * u.ms)
    b = spikax.AdExIFRef(1, tau_ref=1.75 * u.ms)
    a.init_state()
    b.init_state()
    xs = jnp.full((400, 1), 25.0) * u.mA
    sa, va = run(a, xs)
    sb, vb = brainstate.transform.for_loop(
        lambda x: (b.update(x), b.V.value.to_decimal(u.mV)), xs)
    np.testing.assert_array_equal(sa, sb)
    np.testing.assert_array_equal(va, vb)
    np.testing.assert_array_equal(a.last_spike_time.value.to_decimal(u.ms),
                                  b.last_spike_time.value.to_decimal(u.ms))


def test_module_equals_functional_scan():
    xs = 2.5e10 + 8e9 * jnp.sin(jnp.arange(500) / 7.0)  # pA

    def body(s, kx):
        k, x = kx
        s, spike = adex_step(DEFAULTS, s, x, 0.1, k * 0.1, soft_reset=False)
        return s, (spike, s.V)

    s0 = AdExState(jnp.asarray(-65.0), jnp.asarray(0.0), jnp.asarray(-1e7))
    _, (s_scan, v_scan) = jax.lax.scan(body, s0, (jnp.arange(500), xs))
    n = spikax.AdExIFRef(1, tau_ref=1.75 * u.ms, spk_reset="hard")
    n.init_state()
    s_mod, v_mod = run(n, xs[:, None] * u.pA)
    np.testing.assert_array_equal(s_mod[:, 0], s_scan)
    np.testing.assert_allclose(v_mod[:, 0], v_scan, rtol=0, atol=ANALYTIC_F64_MV)
    assert s_scan.sum() > 3


# (V0 mV, input scale x 25 mA, tau_ref ms, V_th mV)
EXTREMES = np.array([
    (1e3, 1.0, 0.0, -55.0),      # far above the exponent clamp
    (-65.0, 1e6, 1.75, -55.0),   # R I = 2.5e7 mV
    (-20.0, 1.0, 0.0, 0.0),      # starts high on the exponential (brainpy: inf)
    (-30.0, 4.0, 0.0, 10.0),     # V_th near the peak: V climbs through the exponential
])


@pytest.mark.parametrize("precision", [32, 64])
@pytest.mark.parametrize("reset", ["soft", "hard"])
def test_values_and_gradients_stay_finite(precision, reset):
    """40 steps from extreme states / inputs (vmapped over EXTREMES): V and the gradient of
    spikes + V + w w.r.t. the input amplitude stay finite. (Without refractoriness, a hard
    reset and R I >~ 1e5 mV the gradient grows geometrically, as in brainpy.state: the reset
    passes dV/dV = 1 and the Jacobian's own V-dependence times the huge drive gives a per-step
    gain >> 1. That is BPTT through an unstable map, not an overflow; single steps stay
    finite, see the next test.)"""
    def loss(s, V0, tau_ref, V_th):
        n = spikax.AdExIFRef(1, tau_ref=tau_ref * u.ms, V_th=V_th * u.mV, spk_reset=reset,
                             V_initializer=braintools.init.Constant(V0 * u.mV))
        n.init_state()
        spikes, V = run(n, jnp.full((40, 1), 25.0) * s * u.mA)
        return spikes.sum() + 1e-3 * V.sum() + 1e-3 * n.w.value.to_decimal(u.mA).sum(), V

    with brainstate.environ.context(precision=precision):
        dtype = brainstate.environ.dftype()
        V0, scale, tau_ref, V_th = (jnp.asarray(c, dtype) for c in EXTREMES.T)
        (_, V), g = jax.jit(jax.vmap(jax.value_and_grad(loss, has_aux=True)))(
            scale, V0, tau_ref, V_th)
    assert bool(jnp.all(jnp.isfinite(V))), V
    assert bool(jnp.all(jnp.isfinite(g))), g


@pytest.mark.parametrize("precision", [32, 64])
@pytest.mark.parametrize("soft", [True, False])
def test_one_step_is_finite_for_any_finite_state_and_input(precision, soft):
    """Value and gradient (w.r.t. V, w, the input and tau) of one step over a grid of extreme
    states and inputs, refractory or not."""
    big = 1e30 if precision == 64 else 1e20
    V0, w0, x0, t = np.meshgrid([-1e6, -100.0, -68.0, -40.0, -20.0, 0.0, 9.7, 20.0, 1e3, 1e6],
                                [-1e15, 0.0, 1e15], [-big, -1e12, 0.0, 1e12, big], [0.0, 1.0],
                                indexing="ij")
    with brainstate.environ.context(precision=precision):
        dtype = brainstate.environ.dftype()
        p = AdExParams(*(jnp.asarray(v, dtype) for v in DEFAULTS))

        def f(V, w, x, tau, t):
            s, spike = adex_step(p._replace(tau=tau), AdExState(V, w, jnp.asarray(0.5, dtype)),
                                 x, 0.1, t, soft_reset=soft)
            return s.V + 1e-9 * s.w + spike

        args = [jnp.asarray(a.ravel(), dtype) for a in (V0, w0, x0)]
        tau = jnp.full(args[0].shape, 10.0, dtype)
        tt = jnp.asarray(t.ravel(), dtype)
        val, grads = jax.jit(jax.vmap(jax.value_and_grad(f, argnums=(0, 1, 2, 3))))(
            *args, tau, tt)
    assert bool(jnp.all(jnp.isfinite(val)))
    for g in grads:
        assert bool(jnp.all(jnp.isfinite(g)))


@pytest.mark.parametrize("precision", [32, 64])
def test_uncapped_step_overflows_where_ours_does_not(precision):
    """Why dt * J is capped at 20: at V = -20 mV the exponential term's slope is
    e^{11.5}/tau, so brainstate's step overflows (float32 and float64); ours stays finite and
    far above threshold (a spike), with a finite gradient."""
    with brainstate.environ.context(precision=precision):
        dtype = brainstate.environ.dftype()
        p = AdExParams(*(jnp.asarray(v, dtype) for v in DEFAULTS._replace(tau_ref=0.0)))
        v = jnp.asarray(-20.0, dtype)

        def dv(x):
            return (-(x - p.V_rest) + p.delta_T * jnp.exp(jnp.minimum((x - p.V_T) / p.delta_T,
                                                                      20.0))) / p.tau

        assert not bool(jnp.isfinite(jax.jit(lambda x: exp_euler(dv, x, 0.1))(v)))
        step = lambda v0: adex_step(p, AdExState(v0, jnp.zeros((), dtype)),  # noqa: E731
                                    jnp.zeros((), dtype), 0.1, jnp.zeros((), dtype))[0].V
        V1, g = jax.jit(jax.value_and_grad(step))(v)
        assert bool(jnp.isfinite(V1)) and float(V1) > 1e3 and bool(jnp.isfinite(g))


@pytest.mark.parametrize("kw, match", [
    (dict(tau_w=0.0 * u.ms), r"`tau_w` must lie in \(0\.0, inf\] ms; got 0"),
    (dict(tau_ref=-1.0 * u.ms), r"`tau_ref` must lie in \[0\.0, inf\] ms; got -1"),
    (dict(delta_T=0.0 * u.mV), r"`delta_T` must lie in \(0\.0, inf\] mV; got 0"),
    (dict(b=-1.0 * u.mA), r"`b` must lie in \[0\.0, inf\] pA; got -1"),
    (dict(R=-1.0 * u.ohm), r"`R` must lie in \[0\.0, inf\]"),
    (dict(V_reset=-50.0 * u.mV), r"`V_reset` must be smaller than `V_th`; got V_reset=-50"),
    (dict(V_T=float("nan") * u.mV), r"`V_T` must be finite; got nan"),
    (dict(a=jnp.array([1.0, jnp.inf]) * u.siemens), r"`a` must be finite"),
])
def test_invalid_parameters_are_rejected(kw, match):
    with pytest.raises(ValueError, match=match):
        spikax.AdExIFRef(2, **kw)


def test_negative_subthreshold_adaptation_is_allowed():
    n = spikax.AdExIFRef(2, a=-0.5 * u.siemens)
    n.init_state()
    spikes, _ = run(n, jnp.full((200, 2), 25.0) * u.mA)
    assert float(spikes.sum()) > 0


def test_surrogate_gradient_flows_to_tau_w():
    def count(tau_w):
        n = spikax.AdExIFRef(1, tau_w=tau_w * u.ms, b=3 * u.mA, tau_ref=1.75 * u.ms)
        n.init_state()
        return run(n, jnp.full((300, 1), 25.0) * u.mA)[0].sum()

    g = jax.jit(jax.grad(count))(30.0)
    assert bool(jnp.isfinite(g)) and float(g) < 0.0  # slower adaptation decay -> fewer spikes
