"""GifRef and Gif: brainpy.state parity traces, closed-form decays, the late-binding rule,
refractoriness, validation."""

import json
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
from spikax.functional import GifParams, GifState, gif_step
from tests.neurons._brainpy_replay import replay
from tests.registry import run
from tests.tolerances import ANALYTIC_F64_MV, BRAINPY_PARITY_MA, BRAINPY_PARITY_MV

REF = Path(__file__).resolve().parents[1] / "reference"
REF_FILES = sorted(REF.glob("brainpy_gif*.npz"))
CLASSES = {"brainpy.state.GifRef": spikax.GifRef, "brainpy.state.Gif": spikax.Gif}
# brainpy defaults in internal units (ms, GOhm, mV, 1/ms, pA)
DEFAULTS = GifParams(tau=20.0, R=2e-8, V_rest=-70.0, V_reset=-70.0, V_th_inf=-50.0,
                     V_th_reset=-60.0, a=0.0, b=0.01, k1=0.2, k2=0.02, R1=0.0, R2=1.0, A1=0.0,
                     A2=0.0, tau_ref=1.7)


def _model(path):
    return CLASSES[json.loads(str(np.load(path)["meta"]))["model"]]


def test_reference_files_are_present():
    # GifRef: section 9 (a)-(d) x soft/hard (batch of 2), random + delta, ref_var;
    # Gif: defaults, bursting soft/hard
    names = [p.stem for p in REF_FILES]
    assert sum(n.startswith("brainpy_gifref_") for n in names) == 10
    assert sum(n.startswith("brainpy_gif_") for n in names) == 3


@pytest.mark.parametrize("path", REF_FILES, ids=[p.stem for p in REF_FILES])
def test_matches_brainpy_state_trace(path):
    """Replays a brainpy.state.GifRef / Gif 2.9.0 run (tests/reference/make_brainpy_refs.py)."""
    ref, meta, spikes, trace = replay(path, _model(path))
    np.testing.assert_array_equal(spikes, ref["spike"])
    for key in ("V", "V_th"):
        np.testing.assert_allclose(trace[key], ref[key], rtol=0, atol=BRAINPY_PARITY_MV)
    for key in ("I1", "I2"):
        np.testing.assert_allclose(trace[key], ref[key], rtol=0, atol=BRAINPY_PARITY_MA)
    if "last_spike_time" in ref.files:
        np.testing.assert_array_equal(trace["last_spike_time"], ref["last_spike_time"])
    if meta["ref_var"]:
        np.testing.assert_array_equal(trace["refractory"], ref["refractory"])
    if meta["batch"]:
        np.testing.assert_array_equal(spikes[:, 0], spikes[:, 1])
        np.testing.assert_array_equal(trace["V"][:, 0], trace["V"][:, 1])
    assert ref["spike"].sum() >= 3


def test_first_spike_of_models_md():
    """models.md section 9 (a): defaults, 1.5 mA: first spike at step 219, V = -49.9861 mV."""
    n = spikax.GifRef(1)
    n.init_state()
    spikes, V = run(n, jnp.full((300, 1), 1.5) * u.mA)
    k = int(np.flatnonzero(np.asarray(spikes[:, 0]))[0])
    assert k == 219 and abs(float(V[k, 0]) + 49.9861) < 5e-5


@pytest.mark.parametrize("late_binding, same", [(True, True), (False, False)])
def test_gif_needs_the_late_binding_rule(late_binding, same):
    """brainpy.state.Gif integrates V with the already advanced I1, I2: only that rule
    reproduces its bursting trace; the GifRef rule (tau_ref = 0) shifts the spikes."""
    ref = np.load(REF / "brainpy_gif_burst_soft.npz")
    p = DEFAULTS._replace(a=0.005, A1=1e10, A2=-6e8)

    def body(s, x):
        s, spike = gif_step(p, s, x * 1e9, 0.1, refractory=False, late_binding=late_binding)
        return s, (spike, s.V)

    s0 = GifState(*(jnp.asarray(v) for v in (-70.0, 0.0, 0.0, -50.0)))
    _, (spikes, V) = jax.lax.scan(body, s0, jnp.asarray(ref["x"][:, 0]))
    assert np.array_equal(spikes, ref["spike"][:, 0]) == same
    if same:
        np.testing.assert_allclose(V, ref["V"][:, 0], rtol=0, atol=BRAINPY_PARITY_MV)


@pytest.mark.parametrize("cls", [spikax.GifRef, spikax.Gif])
def test_subthreshold_currents_decay_exactly(cls):
    """I_j(t) = I_j(0) e^{-k_j t} without spikes."""
    n = cls(1, I1_initializer=braintools.init.Constant(0.3 * u.mA),
            I2_initializer=braintools.init.Constant(-0.2 * u.mA), k1=0.15 / u.ms)
    n.init_state()
    spikes, _ = run(n, jnp.zeros((300, 1)) * u.mA)
    assert float(spikes.sum()) == 0
    np.testing.assert_allclose(n.I1.value.to_decimal(u.mA), 0.3 * np.exp(-0.15 * 30.0),
                               rtol=1e-13)
    np.testing.assert_allclose(n.I2.value.to_decimal(u.mA), -0.2 * np.exp(-0.02 * 30.0),
                               rtol=1e-13)


def test_threshold_relaxes_exactly_at_a_fixed_V():
    """V held at its fixed point V* = V_rest + R I: theta -> theta* = V_th_inf + a (V* -
    V_rest) / b, exactly exponentially with rate b."""
    a, b, I = 0.005, 0.01, 0.5  # 1/ms, 1/ms, mA: V* = -70 + 20 * 0.5 = -60 mV
    n = spikax.GifRef(1, a=a / u.ms, b=b / u.ms, V_initializer=braintools.init.Constant(-60 * u.mV))
    n.init_state()
    spikes, V = run(n, jnp.full((400, 1), I) * u.mA)
    assert float(spikes.sum()) == 0
    np.testing.assert_allclose(V, -60.0, rtol=0, atol=ANALYTIC_F64_MV)
    theta_star = -50.0 + a * 10.0 / b
    want = theta_star + (-50.0 - theta_star) * np.exp(-b * 40.0)
    np.testing.assert_allclose(n.V_th.value.to_decimal(u.mV), want, rtol=0, atol=1e-11)


@pytest.mark.parametrize("tau_ref", [0.0, 0.35, 1.75, 2.05])
def test_refractory_hold_freezes_all_four_variables(tau_ref):
    """A saturating current re-fires at the first non-refractory step: inter-spike interval
    ceil(tau_ref/dt) steps, i.e. a hold of ceil(tau_ref/dt) - 1 steps during which V, I1, I2
    and V_th all keep their reset values."""
    n = spikax.GifRef(1, tau_ref=tau_ref * u.ms, spk_reset="hard", A1=2 * u.mA,
                      A2=-0.6 * u.mA, ref_var=True,
                      V_th_initializer=braintools.init.Constant(-40.0 * u.mV))
    n.init_state()

    def step(k, x):
        with brainstate.environ.context(t=k * 0.1 * u.ms):
            spike = n.update(x)
        return spike, [getattr(n, s).value.mantissa for s in ("V", "I1", "I2", "V_th")]

    spikes, states = brainstate.transform.for_loop(step, jnp.arange(100),
                                                   jnp.full((100, 1), 1e3) * u.mA)
    steps = np.flatnonzero(np.asarray(spikes[:, 0]))
    isi = max(math.ceil(tau_ref / 0.1 - 1e-9), 1)
    assert len(steps) >= 4 and set(np.diff(steps)) == {isi}
    for s in states:
        held = np.asarray(s[steps[1] + 1: steps[2] + 1, 0])  # hold steps + the next spike
        assert np.all(held[:-1] == held[0]) and (isi == 1 or held[-1] != held[0])
    assert bool(n.refractory.value[0])


def test_states_and_time():
    n = spikax.GifRef(2, ref_var=True)
    n.init_state(batch_size=3)
    for name in ("V", "I1", "I2", "V_th", "last_spike_time", "refractory"):
        assert getattr(n, name).value.shape == (3, 2), name
    assert u.get_unit(n.I1.value) == u.pA and n.refractory.value.dtype == bool
    g = spikax.Gif(2)
    g.init_state()
    assert not hasattr(g, "last_spike_time") and not hasattr(g, "tau_ref")
    assert not isinstance(g, spikax.GifRef)
    with pytest.raises(TypeError):
        spikax.Gif(2, tau_ref=1.0 * u.ms)
    with pytest.raises(ValueError, match="needs the time `t`"):
        gif_step(DEFAULTS, GifState(-70.0, 0.0, 0.0, -50.0), 0.0, 0.1)


def test_time_defaults_to_steps_times_dt():
    a, b = spikax.GifRef(1, tau_ref=2.05 * u.ms), spikax.GifRef(1, tau_ref=2.05 * u.ms)
    a.init_state()
    b.init_state()
    xs = jnp.full((400, 1), 3.0) * u.mA
    sa, va = run(a, xs)
    sb, vb = brainstate.transform.for_loop(lambda x: (b.update(x), b.V.value.mantissa), xs)
    assert float(sa.sum()) > 3
    np.testing.assert_array_equal(sa, sb)
    np.testing.assert_array_equal(va, vb)


def test_module_equals_functional_scan_and_vmap_over_k1():
    xs = 1e9 * (2.0 + jnp.sin(jnp.arange(400) / 9.0))  # pA
    p = DEFAULTS._replace(tau_ref=2.05, A1=5e9, R1=0.5)

    def final_I1(k1):
        def body(s, kx):
            s, spike = gif_step(p._replace(k1=k1), s, kx[1], 0.1, kx[0] * 0.1)
            return s, (spike, s.V)

        s0 = GifState(*(jnp.asarray(v) for v in (-70.0, 0.0, 0.0, -50.0, -1e7)))
        s, out = jax.lax.scan(body, s0, (jnp.arange(400), xs))
        return s.I1, out

    _, (s_scan, v_scan) = final_I1(0.2)
    n = spikax.GifRef(1, tau_ref=2.05 * u.ms, A1=5 * u.mA, R1=0.5)
    n.init_state()
    s_mod, v_mod = run(n, xs[:, None] * u.pA)
    np.testing.assert_array_equal(s_mod[:, 0], s_scan)
    np.testing.assert_allclose(v_mod[:, 0], v_scan, rtol=0, atol=ANALYTIC_F64_MV)
    I1 = jax.jit(jax.vmap(lambda k: final_I1(k)[0]))(jnp.array([0.1, 0.2, 0.4]))
    assert bool(jnp.all(jnp.isfinite(I1))) and float(I1[0]) > float(I1[2]) > 0


@pytest.mark.parametrize("cls", [spikax.GifRef, spikax.Gif])
def test_surrogate_gradient_flows_to_tau(cls):
    def count(tau):
        n = cls(1, tau=tau * u.ms)
        n.init_state()
        return run(n, jnp.full((300, 1), 3.0) * u.mA)[0].sum()

    g = jax.jit(jax.grad(count))(20.0)
    assert bool(jnp.isfinite(g)) and float(g) < 0.0  # slower membrane -> fewer spikes


@pytest.mark.parametrize("kw, match", [
    (dict(k1=-0.1 / u.ms), r"`k1` must lie in \[0\.0, inf\] kHz; got -0\.1"),
    (dict(k2=-0.1 / u.ms), r"`k2` must lie in \[0\.0, inf\]"),
    (dict(b=-0.01 / u.ms), r"`b` must lie in \[0\.0, inf\]"),
    (dict(tau=0.0 * u.ms), r"`tau` must lie in \(0\.0, inf\] ms"),
    (dict(R=-1.0 * u.ohm), r"`R` must lie in \[0\.0, inf\]"),
    (dict(V_reset=-60.0 * u.mV), r"`V_reset` must be smaller than `V_th_reset`"),
    (dict(V_th_inf=-75.0 * u.mV), r"`V_reset` must be smaller than `V_th_inf`"),
    (dict(A1=float("nan") * u.mA), r"`A1` must be finite"),
    (dict(R2=jnp.array([1.0, jnp.inf])), r"`R2` must be finite"),
])
@pytest.mark.parametrize("cls", [spikax.GifRef, spikax.Gif])
def test_invalid_parameters_are_rejected(cls, kw, match):
    with pytest.raises(ValueError, match=match):
        cls(2, **kw)


def test_invalid_tau_ref_and_allowed_signs():
    with pytest.raises(ValueError, match=r"`tau_ref` must lie in \[0\.0, inf\] ms; got -1"):
        spikax.GifRef(2, tau_ref=-1.0 * u.ms)
    n = spikax.GifRef(2, a=-0.08 / u.ms, R1=-0.5, A2=-0.6 * u.mA, k1=0.0 / u.ms)
    n.init_state()
    assert n.update(1.5 * u.mA).shape == (2,)
