"""LIF: brainpy.state parity traces, closed-form solutions, gradients, validation."""

import json
from pathlib import Path

import braintools
import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import saiunit as u

import spikax
from spikax.functional import LIFParams, LIFState, lif_step
from tests.registry import run
from tests.tolerances import ANALYTIC_F64_MV, BRAINPY_PARITY_MV

REF = Path(__file__).resolve().parents[1] / "reference"
REF_FILES = sorted(REF.glob("brainpy_lif_*.npz"))
UNITS = {"mV": u.mV, "ms": u.ms, "ohm": u.ohm, "mA": u.mA}


def test_reference_files_are_present():
    # soft/hard x constant/random/heterogeneous, a conductance input, delta inputs
    assert len(REF_FILES) == 8


@pytest.mark.parametrize("path", REF_FILES, ids=[p.stem for p in REF_FILES])
def test_matches_brainpy_state_trace(path):
    """Replays a brainpy.state.LIF 2.9.0 run (tests/reference/make_brainpy_refs.py)."""
    ref = np.load(path)
    meta = json.loads(str(ref["meta"]))
    T, N = ref["x"].shape
    n = spikax.LIF(N, **{k: jnp.asarray(v) * UNITS[unit] for k, (v, unit) in
                         meta["params"].items()},
                   V_initializer=braintools.init.Constant(meta["V0_mV"] * u.mV),
                   spk_reset=meta["spk_reset"])
    n.init_state()
    if meta["conductance"]:
        g = meta["conductance"]["g_S"] * u.siemens
        E = meta["conductance"]["E_mV"] * u.mV
        n.add_current_input("conductance", lambda v: g * (E - v))
    kicks = bool(np.any(ref["delta"]))

    def step(x, d):
        if kicks:
            n.add_delta_input("kick", d * u.mV)
        spike = n.update(x * u.mA)
        return spike, n.V.value.to_decimal(u.mV)

    with brainstate.environ.context(dt=meta["dt_ms"] * u.ms):
        spikes, V = brainstate.transform.for_loop(step, jnp.asarray(ref["x"]),
                                                  jnp.asarray(ref["delta"]))
    np.testing.assert_array_equal(np.asarray(spikes), ref["spike"])
    np.testing.assert_allclose(np.asarray(V), ref["V"], rtol=0, atol=BRAINPY_PARITY_MV)
    assert ref["spike"].sum() > 0  # every reference run fires


def test_subthreshold_relaxation_is_exact():
    """V(t) = V_inf + (V0 - V_inf) exp(-t / tau) for a constant current."""
    tau, V0, I = 7.0, 0.9, 0.4  # ms, mV, mA (R = 1 ohm: V_inf = 0.4 mV < V_th)
    n = spikax.LIF(1, tau=tau * u.ms, V_th=2.0 * u.mV,
                   V_initializer=braintools.init.Constant(V0 * u.mV))
    n.init_state()
    _, V = run(n, jnp.full((300, 1), I) * u.mA)
    t = 0.1 * np.arange(1, 301)
    np.testing.assert_allclose(V[:, 0], I + (V0 - I) * np.exp(-t / tau), atol=ANALYTIC_F64_MV)


@pytest.mark.parametrize("tau, I, V_reset", [(5.0, 1.5, 0.0), (10.0, 3.0, -0.5),
                                             (20.0, 1.2, 0.3)])
def test_firing_period_under_constant_current_hard_reset(tau, I, V_reset):
    """ISI = ceil(tau ln((V_inf - V_reset) / (V_inf - V_th)) / dt) steps, first spike one earlier."""
    dt, V_th = 0.1, 1.0
    n = spikax.LIF(1, tau=tau * u.ms, V_reset=V_reset * u.mV, spk_reset="hard",
                   V_initializer=braintools.init.Constant(V_reset * u.mV))
    n.init_state()
    spikes, _ = run(n, jnp.full((2000, 1), I) * u.mA)
    steps = np.flatnonzero(np.asarray(spikes[:, 0]))
    period = int(np.ceil(tau * np.log((I - V_reset) / (I - V_th)) / dt))
    np.testing.assert_array_equal(steps, period * np.arange(1, len(steps) + 1) - 1)
    assert len(steps) == 2000 // period


def test_soft_reset_subtracts_threshold_minus_reset():
    p = LIFParams(tau=5.0, R=1e-9, V_rest=0.0, V_reset=-0.5, V_th=1.0)
    s, spike = lif_step(p, LIFState(jnp.asarray(1.2)), 0.0, 0.1, soft_reset=True)
    np.testing.assert_allclose(s.V, (1.2 - 1.5) * np.exp(-0.1 / 5.0), rtol=1e-14)
    s, _ = lif_step(p, LIFState(jnp.asarray(1.2)), 0.0, 0.1, soft_reset=False)
    np.testing.assert_allclose(s.V, -0.5 * np.exp(-0.1 / 5.0), rtol=1e-14)
    assert float(spike) == 0.0


@pytest.mark.parametrize("soft", [True, False])
def test_gradient_of_one_step_matches_closed_form(soft):
    """dV1/dV0 = (1 - c * g(x0) / (V_th - V_reset)) e^{-dt/tau} (models.md §1.4: 0.744951 soft,
    0.697901 hard at V0 = 1.2 mV with the defaults); c = V_th - V_reset or V0 - V_reset."""
    p = LIFParams(tau=5.0, R=1e-9, V_rest=0.0, V_reset=0.0, V_th=1.0)
    f = lambda v: lif_step(p, LIFState(v), 0.0, 0.1, soft_reset=soft)[0].V  # noqa: E731
    g = jax.grad(f)(1.2)
    relu = max(0.3 - 0.3 * 0.2, 0.0)  # ReluGrad at x0 = (1.2 - 1) / 1
    c = 1.0 if soft else 1.2
    np.testing.assert_allclose(g, (1 - c * relu) * np.exp(-0.02), rtol=1e-14)
    np.testing.assert_allclose(g, 0.744951 if soft else 0.697901, atol=1e-6)


def test_module_equals_functional_scan():
    """The module and a hand-written lax.scan over lif_step are the same math."""
    xs = 0.8 + 0.6 * jnp.sin(jnp.arange(400) / 9.0)
    p = LIFParams(tau=8.0, R=2e-9, V_rest=0.1, V_reset=-0.2, V_th=0.9)

    def body(s, x):
        s, spike = lif_step(p, s, x * 1e9, 0.1, soft_reset=False)
        return s, (spike, s.V)

    _, (s_scan, v_scan) = jax.lax.scan(body, LIFState(jnp.zeros(())), xs)
    n = spikax.LIF(1, tau=8 * u.ms, R=2 * u.ohm, V_rest=0.1 * u.mV, V_reset=-0.2 * u.mV,
                   V_th=0.9 * u.mV, spk_reset="hard")
    n.init_state()
    s_mod, v_mod = run(n, xs[:, None] * u.mA)
    np.testing.assert_allclose(v_mod[:, 0], v_scan, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(s_mod[:, 0], s_scan)
    assert s_scan.sum() > 0


def test_vmap_over_tau_of_the_pure_step():
    taus = jnp.array([2.0, 5.0, 10.0])

    def final_v(tau):
        p = LIFParams(tau=tau, R=1e-9, V_rest=0.0, V_reset=0.0, V_th=10.0)
        s = LIFState(jnp.asarray(0.0))
        for _ in range(5):
            s, _ = lif_step(p, s, 1e9, 0.1)
        return s.V

    np.testing.assert_allclose(jax.vmap(final_v)(taus), 1 - np.exp(-0.5 / taus), rtol=1e-12)


def test_grad_wrt_tau_through_the_module_matches_finite_differences():
    """With a spike function that has no surrogate (a stop-gradient Heaviside) the gradient is
    the true derivative for a fixed spike pattern, which central differences measure."""
    hard_step = lambda x: jax.lax.stop_gradient(spikax.surrogate.heaviside(x))  # noqa: E731

    def mean_v(tau):
        n = spikax.LIF(1, tau=tau * u.ms, spk_fun=hard_step)
        n.init_state()
        spikes, V = run(n, jnp.full((200, 1), 1.5) * u.mA)
        return V.mean(), spikes.sum()

    g = jax.grad(lambda t: mean_v(t)[0])(5.0)
    eps = 1e-5
    (hi, n_hi), (lo, n_lo) = mean_v(5.0 + eps), mean_v(5.0 - eps)
    assert n_hi == n_lo == mean_v(5.0)[1] == 3  # same spike pattern inside +-eps
    np.testing.assert_allclose(g, (hi - lo) / (2 * eps), rtol=1e-6)


def test_surrogate_gradient_flows_to_tau():
    def count(tau):
        n = spikax.LIF(1, tau=tau * u.ms)
        n.init_state()
        return run(n, jnp.full((200, 1), 1.5) * u.mA)[0].sum()

    g = jax.grad(count)(5.0)
    assert bool(jnp.isfinite(g)) and float(g) < 0.0  # slower membrane -> fewer spikes


def test_threshold_must_exceed_reset():
    with pytest.raises(ValueError, match=r"`V_reset` must be smaller than `V_th`"):
        spikax.LIF(2, V_th=0.0 * u.mV, V_reset=0.0 * u.mV)
    with pytest.raises(ValueError, match=r"`V_reset`"):
        spikax.LIF(2, V_th=jnp.array([1.0, -1.0]) * u.mV)


def test_negative_resistance_is_rejected():
    with pytest.raises(ValueError, match=r"`R` must lie in \[0\.0, inf\]"):
        spikax.LIF(2, R=-1.0 * u.ohm)


def test_units_are_converted():
    """Same neuron in other units: tau in s, voltages in V, R in kohm with current in uA."""
    a = spikax.LIF(1, tau=0.005 * u.second, V_th=0.001 * u.volt, R=1e-3 * u.kohm)
    b = spikax.LIF(1)
    a.init_state()
    b.init_state()
    _, va = run(a, jnp.full((100, 1), 1500.0) * u.uA)
    _, vb = run(b, jnp.full((100, 1), 1.5) * u.mA)
    np.testing.assert_allclose(va, vb, rtol=1e-12)


def test_initializer_in_volts_is_stored_in_mV():
    n = spikax.LIF(2, V_initializer=braintools.init.Constant(0.0005 * u.volt))
    n.init_state()
    assert u.get_unit(n.V.value) == u.mV
    np.testing.assert_allclose(n.V.value.to_decimal(u.mV), 0.5)
    with pytest.raises(u.UnitMismatchError, match="`V_initializer`"):
        spikax.LIF(2, V_initializer=braintools.init.Constant(1.0 * u.ms)).init_state()


def test_braintools_surrogate_is_accepted_as_spk_fun():
    """Any callable works as spk_fun; braintools' Sigmoid gives the same spikes and gradients."""
    import braintools

    def loss(scale, fn):
        n = spikax.LIF(2, spk_fun=fn)
        n.init_state()
        return run(n, jnp.full((150, 2), 1.5) * scale * u.mA)[0].sum()

    ours = jax.value_and_grad(loss)(1.0, spikax.surrogate.Sigmoid(alpha=4.0))
    theirs = jax.value_and_grad(loss)(1.0, braintools.surrogate.Sigmoid(alpha=4.0))
    assert float(ours[0]) == float(theirs[0]) > 0
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10)
    assert float(ours[1]) != 0.0
