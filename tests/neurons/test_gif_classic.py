"""spikax.GIF, the classic brainpy.neurons.GIF: brainpy 2.9.0 parity traces, the classic step
rules, the integrators ('exact' vs an independent solver, convergence orders), noise
statistics, and the firing-pattern repertoire of Mihalas & Niebur (2009)."""

import functools
import json
from pathlib import Path

import braintools
import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import saiunit as u
from scipy.integrate import solve_ivp

import spikax
from spikax.functional import (GifClassicParams, GifClassicState, gif_classic_integrate,
                               gif_classic_propagator, gif_classic_step)
from spikax.neurons import GIF_PATTERNS, gif_pattern_stimulus, simulate_gif_patterns
from tests.registry import run

REF = Path(__file__).resolve().parents[1] / "reference"
REF_FILES = sorted(REF.glob("brainpy_classicgif_*.npz"))
# Same algorithm as brainpy, float64: only rounding differs (observed <= 3.1e-13 mV, 3.2e-14 mA).
PARITY_MV, PARITY_MA = 1e-9, 1e-12
INIT = {"V_init": "V_initializer", "I1_init": "I1_initializer", "I2_init": "I2_initializer",
        "Vth_init": "Vth_initializer"}
DEFAULTS = GifClassicParams(V_rest=-70.0, V_reset=-70.0, V_th_inf=-50.0, V_th_reset=-60.0,
                            R=20.0, tau=20.0, a=0.0, b=0.01, k1=0.2, k2=0.02, R1=0.0, R2=1.0,
                            A1=0.0, A2=0.0)


def replay(path):
    """Rebuild the DSRunner run of ``path`` (tests/reference/make_brainpy_refs_gif_classic.py)
    as a plain loop of ``update(x_k)`` at ``t = k * dt``."""
    ref = np.load(path)
    meta = json.loads(str(ref["meta"]))
    kw = {k: np.asarray(v, float) for k, v in meta["params"].items()}
    kw.update({INIT[k]: v for k, v in meta["init"].items()})
    n = spikax.GIF(meta["n"], method=meta["method"], spk_reset=meta["spk_reset"],
                   ref_var=meta["ref_var"], **kw)
    n.init_state()
    if meta["conductance"]:
        g, E = meta["conductance"]["g"] * u.siemens, meta["conductance"]["E_mV"] * u.mV
        n.add_current_input("conductance", lambda v: g * (E - v))
    kicks = bool(np.any(ref["delta"]))
    names = ["V", "V_th", "I1", "I2", "t_last_spike"] + (["refractory"] * meta["ref_var"])

    def step(k, x, d):
        if kicks:
            n.add_delta_input("kick", d * u.mV)
        with brainstate.environ.context(t=k * meta["dt_ms"] * u.ms):
            spike = n.update(x * u.mA)
        return spike, {key: getattr(n, key).value for key in names}

    with brainstate.environ.context(dt=meta["dt_ms"] * u.ms):
        spikes, trace = brainstate.transform.for_loop(
            step, jnp.arange(ref["x"].shape[0]), jnp.asarray(ref["x"]), jnp.asarray(ref["delta"]))
    trace = {k: np.asarray(v if k == "refractory" else u.get_mantissa(v))
             for k, v in trace.items()}
    return ref, meta, np.asarray(spikes), trace


# ----------------------------------------------------------------------- brainpy parity
def test_reference_files_are_present():
    # models.md section 9 rows (5), mixed drive, euler, rk4, training-mode soft/hard (3)
    assert len(REF_FILES) == 11


@pytest.mark.parametrize("path", REF_FILES, ids=[p.stem[19:] for p in REF_FILES])
def test_matches_brainpy_neurons_gif(path):
    """A plain update loop reproduces brainpy.neurons.GIF 2.9.0 under DSRunner."""
    ref, meta, spikes, trace = replay(path)
    np.testing.assert_array_equal(spikes, ref["spike"])
    for key in ("V", "V_th"):
        np.testing.assert_allclose(trace[key], ref[key], rtol=0, atol=PARITY_MV)
    for key in ("I1", "I2"):
        np.testing.assert_allclose(trace[key], ref[key], rtol=0, atol=PARITY_MA)
    np.testing.assert_allclose(trace["t_last_spike"], ref["t_last_spike"], rtol=0, atol=1e-9)
    if meta["ref_var"]:
        np.testing.assert_array_equal(trace["refractory"], ref["refractory"])
    assert ref["spike"].sum() >= 7


@pytest.mark.parametrize("name, first, count", [
    ("defaults", [219, 439, 659, 879], 18), ("burst", [251, 278, 308, 342, 380, 425], 7),
    ("adapt", [146, 395, 774, 1226], 9), ("refractory", [81, 180, 279], 30),
    ("aneg", [90, 177, 252], 43)])
def test_reference_spikes_are_those_of_models_md(name, first, count):
    """The generated traces carry the spike steps listed in models.md section 9."""
    spike = np.load(REF / f"brainpy_classicgif_{name}.npz")["spike"][:, 0]
    steps = np.flatnonzero(spike)
    assert steps[: len(first)].tolist() == first and len(steps) == count
    if name == "refractory":
        assert set(np.diff(steps)) == {99}


# ----------------------------------------------------------------------- the classic rules
def _loop(n, xs, dt=0.1):
    """Spikes and every state after each step (t = k * dt)."""
    def step(k, x):
        with brainstate.environ.context(t=k * dt * u.ms):
            spike = n.update(x)
        return spike, {k2: u.get_mantissa(getattr(n, k2).value) for k2 in ("V", "V_th", "I1",
                                                                          "I2")}
    spikes, tr = brainstate.transform.for_loop(step, jnp.arange(xs.shape[0]), xs)
    return np.asarray(spikes), {k: np.asarray(v) for k, v in tr.items()}


def test_bare_numbers_are_brainpy_units():
    a = spikax.GIF(1, tau=15.0, a=0.005, A2=-0.6, R=20.0, tau_ref=1.75, V_th_reset=-60.0)
    b = spikax.GIF(1, tau=15.0 * u.ms, a=5.0 / u.second, A2=-600.0 * u.uA, R=0.02 * u.kohm,
                   tau_ref=1.75 * u.ms, V_th_reset=-0.06 * u.volt)
    for n in (a, b):
        n.init_state()
    sa, ta = _loop(a, jnp.full((600, 1), 2.5))
    sb, tb = _loop(b, jnp.full((600, 1), 2500.0) * u.uA)
    np.testing.assert_array_equal(sa, sb)
    np.testing.assert_allclose(ta["V"], tb["V"], atol=1e-9)
    assert sa.sum() >= 3


def test_input_var_accumulates_is_used_once_and_cleared():
    n = spikax.GIF(2)
    n.init_state()
    m = spikax.GIF(2, input_var=False)
    m.init_state()
    assert not hasattr(m, "input")
    n.input.value += 1.0 * u.mA  # e.g. written by a synapse
    n.update(0.5 * u.mA)  # uses 1.5 mA now
    m.update(1.5)
    np.testing.assert_allclose(u.get_mantissa(n.V.value), u.get_mantissa(m.V.value), atol=0)
    assert bool(jnp.all(n.input.value.to_decimal(u.mA) == 0.0))
    n.update()  # nothing accumulated: no drive (decays toward rest)
    assert float(n.V.value[0].to_decimal(u.mV)) < float(m.V.value[0].to_decimal(u.mV))
    n.input.value += 3.0 * u.mA
    n.clear_input()
    assert bool(jnp.all(n.input.value.to_decimal(u.mA) == 0.0))


def test_states_and_initial_values():
    n = spikax.GIF((2, 3), ref_var=True, V_initializer=-65.0, Vth_initializer=-52.0 * u.mV,
                   I1_initializer=braintools.init.Constant(0.5 * u.mA))
    n.init_state(batch_size=4)
    assert n.V.value.shape == (4, 2, 3)
    assert float(n.V.value[0, 0, 0].to_decimal(u.mV)) == -65.0
    assert float(n.V_th.value[0, 0, 0].to_decimal(u.mV)) == -52.0
    assert float(n.I1.value[0, 0, 0].to_decimal(u.mA)) == 0.5
    assert float(n.t_last_spike.value[0, 0, 0].to_decimal(u.ms)) == -1e8  # brainpy 2.9
    assert n.refractory.value.dtype == bool and n.spike.value.dtype == n.V.value.dtype
    assert isinstance(n.V, brainstate.HiddenState)
    assert isinstance(n.input, brainstate.ShortTermState)


def test_aliases_and_argument_errors():
    sg = spikax.surrogate.Sigmoid()
    n = spikax.GIF(size=3, spike_fun=sg)
    assert n.varshape == (3,) and n.spk_fun is sg
    assert isinstance(spikax.GIF(1).spk_fun, spikax.surrogate.InvSquareGrad)
    assert spikax.GIF(1).spk_fun.alpha == 100.0 and spikax.GIF(1).spk_reset == "hard"
    with pytest.raises(TypeError, match="`in_size` or its alias `size`"):
        spikax.GIF(3, size=3)
    with pytest.raises(TypeError, match="`spk_fun` or its alias `spike_fun`"):
        spikax.GIF(3, spk_fun=sg, spike_fun=sg)
    with pytest.raises(ValueError, match=r"`method` must be one of .*'euler'.*'exact'.*'rk4'"):
        spikax.GIF(3, method="heun")
    with pytest.raises(ValueError, match="`noise_target`"):
        spikax.GIF(3, noise=1.0, noise_target="V_th")
    with pytest.raises(TypeError, match="callable `noise`"):
        spikax.GIF(3, noise=lambda *a: a)
    with pytest.raises(ValueError, match="`k1` must lie in"):
        spikax.GIF(3, k1=-0.1)
    with pytest.raises(u.UnitMismatchError, match="`noise`"):
        spikax.GIF(3, noise=1.0 * u.mV / u.ms ** 0.5)  # I1 noise is a current


def test_refractoriness_holds_only_V_inclusively():
    """tau_ref = 1.75 ms: V stays at V_reset for the 17 steps with t - t_last <= 1.75 ms,
    while I1, I2 and V_th evolve on (GifRef freezes all four)."""
    n = spikax.GIF(1, tau_ref=1.75, A1=2.0, A2=-0.6, a=0.01)
    n.init_state()
    spikes, tr = _loop(n, jnp.full((300, 1), 3.0))
    k = int(np.flatnonzero(spikes[:, 0])[0])
    held = tr["V"][k: k + 18, 0]
    assert np.all(held == -70.0) and tr["V"][k + 18, 0] > -70.0
    for key in ("I1", "I2", "V_th"):
        assert np.all(np.diff(tr[key][k: k + 18, 0]) != 0.0), key


def test_spike_is_tested_against_the_threshold_from_before_the_step():
    p = DEFAULTS._replace(a=50.0)  # the threshold jumps by ~5 mV within one step
    fired, spike = gif_classic_step(p, GifClassicState(-50.05, 0.0, 0.0, -50.0), 1.5, 0.1, 0.0)
    assert float(spike) == 1.0 and float(fired.V) == -70.0
    not_fired, spike = gif_classic_step(p, GifClassicState(-52.0, 0.0, 0.0, -50.0), 0.0, 0.1,
                                        0.0)
    assert float(spike) == 0.0 and float(not_fired.V) < -52.0  # decays toward rest


@pytest.mark.parametrize("reset", ["hard", "soft"])
def test_resets_forward_exact_and_brainpy_training_gradient(reset):
    """Forward: brainpy's non-training values exactly; gradient: its training-mode blends."""
    p = DEFAULTS._replace(R1=0.5, A1=3.0, A2=-0.6)
    s = GifClassicState(-49.0, 2.0, 1.0, -55.0)
    soft = reset == "soft"
    new, spike = gif_classic_step(p, s, 0.0, 0.1, 0.0, soft_reset=soft)
    I1_pre = float(gif_classic_integrate(p, s, 0.0, 0.1)[0])
    assert float(spike) == 1.0
    assert float(new.I1) == 0.5 * I1_pre + 3.0
    if not soft:
        assert float(new.V) == -70.0
    dV = jax.grad(lambda v: gif_classic_step(p, s._replace(V=v), 0.0, 0.1, 0.0,
                                             soft_reset=soft)[0].V)(-49.0)
    # brainpy: hard V + (V_reset - V) s -> (1 - s) + (V_reset - V) ds/dV; soft: 1 - (th - Vr) ds/dV
    V1 = float(gif_classic_integrate(p, s, 0.0, 0.1)[3])
    g = 1.0 / (100.0 * abs(V1 - (-55.0)) + 1.0) ** 2 * float(np.exp(-0.1 / 20.0))
    want = (-70.0 - V1) * g if not soft else 1.0 * np.exp(-0.1 / 20.0) - 15.0 * g
    np.testing.assert_allclose(float(dV), want, rtol=1e-6)


# ----------------------------------------------------------------------- integrators
CASES = GifClassicParams(  # per neuron: generic, k1 == 1/tau, b == 0, b == 1/tau and a < 0
    V_rest=-70.0, V_reset=-70.0, V_th_inf=-50.0, V_th_reset=-60.0, R=20.0,
    tau=jnp.array([20.0, 20.0, 10.0, 20.0]), a=jnp.array([0.02, 0.005, 0.01, -0.03]),
    b=jnp.array([0.01, 0.01, 0.0, 0.05]), k1=jnp.array([0.2, 0.05, 0.3, 0.2]),
    k2=jnp.array([0.02, 0.02, 0.1, 0.05]), R1=0.0, R2=1.0, A1=0.0, A2=0.0)
Y0 = dict(I1=3.0, I2=-1.0, V_th=-48.0, V=-60.0)
I_EXT = 1.7


def _solve_ivp(p, i, T):
    """Independent reference: scipy's DOP853 at tight tolerances (neuron ``i`` of ``p``)."""
    q = {k: float(np.asarray(v)[i]) if np.ndim(v) else float(v) for k, v in p._asdict().items()}

    def rhs(t, y):
        I1, I2, th, V = y
        return [-q["k1"] * I1, -q["k2"] * I2,
                q["a"] * (V - q["V_rest"]) - q["b"] * (th - q["V_th_inf"]),
                (-(V - q["V_rest"]) + q["R"] * (I_EXT + I1 + I2)) / q["tau"]]

    y0 = [Y0["I1"], Y0["I2"], Y0["V_th"], Y0["V"]]
    return solve_ivp(rhs, (0.0, T), y0, method="DOP853", rtol=1e-13, atol=1e-13).y[:, -1]


@functools.partial(jax.jit, static_argnames="method")
def _advance(p, s, dt, n, method):
    P = gif_classic_propagator(p, dt) if method == "exact" else None

    def body(_, s):
        I1, I2, th, V = gif_classic_integrate(p, s, I_EXT, dt, method, propagator=P)
        return GifClassicState(V, I1, I2, th)

    return jax.lax.fori_loop(0, n, body, s)


def _integrate(method, dt, T, p=CASES):
    """(I1, I2, V_th, V) of the 4 neurons of ``p`` after ``T`` ms in steps of ``dt``."""
    s0 = GifClassicState(**{k: jnp.full((4,), v) for k, v in Y0.items()})
    s = _advance(p, s0, jnp.asarray(dt), int(round(T / dt)), method)
    return np.stack([s.I1, s.I2, s.V_th, s.V], axis=-1)  # (neuron, variable)


@pytest.mark.parametrize("dt", [0.01, 0.1, 1.0, 10.0, 50.0])
def test_exact_step_equals_an_independent_solver(dt):
    """One 'exact' step of any length is the solution of the linear system (incl. the
    coincident-rate cases a closed form would special-case)."""
    got = _integrate("exact", dt, dt)
    for i in range(4):
        np.testing.assert_allclose(got[i], _solve_ivp(CASES, i, dt), rtol=0, atol=1e-9)


def test_exact_propagator_is_a_semigroup_and_differentiable():
    np.testing.assert_allclose(_integrate("exact", 0.1, 20.0), _integrate("exact", 20.0, 20.0),
                               rtol=0, atol=1e-10)
    P = gif_classic_propagator(CASES, 0.1)
    assert P.shape == (4, 4, 5)
    g = jax.grad(lambda tau: gif_classic_propagator(DEFAULTS._replace(tau=tau), 0.1)[3, 0])(20.0)
    assert np.isfinite(float(g)) and float(g) != 0.0


@pytest.mark.parametrize("method, order", [("euler", 1), ("exp_auto", 1), ("rk4", 4)])
def test_methods_converge_to_exact_with_their_order(method, order):
    """Error at T = 20 ms against 'exact'; observed orders 1.00 (euler), 1.00 (exp_auto:
    each variable exact alone, the coupling frozen over the step), 4.01 (rk4)."""
    exact = _integrate("exact", 20.0, 20.0)
    dts = [0.4, 0.2, 0.1, 0.05]
    errs = np.array([np.abs(_integrate(method, dt, 20.0) - exact).max() for dt in dts])
    orders = np.log2(errs[:-1] / errs[1:])
    assert np.all(np.abs(orders - order) < 0.1), orders
    assert errs[-1] < (0.1 if order == 1 else 1e-8)


def test_exp_euler_alias_and_exact_method_in_the_module():
    xs = jnp.full((800, 1), 1.5)
    out = {}
    for method in ("exp_auto", "exp_euler", "exact"):
        n = spikax.GIF(1, a=0.005, A1=10.0, A2=-0.6, method=method)
        n.init_state()
        out[method] = _loop(n, xs)
    np.testing.assert_array_equal(out["exp_auto"][0], out["exp_euler"][0])
    se, sx = np.flatnonzero(out["exp_auto"][0][:, 0]), np.flatnonzero(out["exact"][0][:, 0])
    assert len(sx) == len(se) == 7 and np.abs(sx - se)[:4].max() <= 1  # exp_auto: 1st order


# ----------------------------------------------------------------------- noise
def _stationary(target, dt, *, n=4000, burn=100.0, lag=40.0, m=40, sigma=1.0):
    """``m`` samples of V (mV) and I1 (mA), ``lag`` ms apart after ``burn`` ms, of ``n``
    neurons driven by noise only (threshold out of reach: no spikes)."""
    with brainstate.environ.context(dt=dt * u.ms):
        g = spikax.GIF(n, noise=sigma, noise_target=target, Vth_initializer=1e3, V_th_inf=1e3)
        g.init_state()

        def inner(k):
            g.update()

        def outer(j):
            brainstate.transform.for_loop(inner, jnp.arange(int(round(lag / dt))))
            return g.V.value.to_decimal(u.mV), g.I1.value.to_decimal(u.mA)

        brainstate.transform.for_loop(inner, jnp.arange(int(round(burn / dt))))
        V, I1 = brainstate.transform.for_loop(outer, jnp.arange(m))
    return np.asarray(V), np.asarray(I1)


def _assert_variance(samples, want, other=None):
    """Sample variance (known mean 0) within 5 standard errors sqrt(2/N) * want of ``want``;
    ``other`` (the continuous-time value) must lie outside that band when given."""
    var, tol = np.mean(samples ** 2), 5.0 * np.sqrt(2.0 / samples.size) * want
    assert abs(var - want) < tol, (var, want, tol)
    if other is not None:
        assert abs(var - other) > tol, (var, other, tol)


@pytest.mark.parametrize("dt", [1.0, 0.1])
def test_noise_on_V_stationary_variance(dt):
    """Free membrane with white noise: v <- rho v + sigma sqrt(dt) xi, rho = exp(-dt/tau), so
    Var = sigma^2 dt / (1 - rho^2) (-> sigma^2 tau / 2 = 10 mV^2 as dt -> 0; at dt = 1 ms
    the discrete value 10.51 is 5 % above and the test tells them apart)."""
    brainstate.random.seed(20261126)
    V, I1 = _stationary("V", dt, n=4000 if dt == 1.0 else 2000, lag=40.0 if dt == 1.0 else 20.0,
                        m=40 if dt == 1.0 else 60)
    assert np.all(I1 == 0.0)
    rho = np.exp(-dt / 20.0)
    _assert_variance(V + 70.0, dt / (1 - rho ** 2), other=10.0 if dt == 1.0 else None)


@pytest.mark.parametrize("dt", [1.0, 0.1])
def test_noise_on_I1_stationary_variance(dt):
    """brainpy's target: I1 is an Ornstein-Uhlenbeck current, Var = sigma^2 dt / (1 -
    exp(-2 k1 dt)) (continuous limit sigma^2 / (2 k1) = 2.5 mA^2; 3.03 at dt = 1 ms)."""
    brainstate.random.seed(20261127)
    V, I1 = _stationary("I1", dt, burn=30.0, lag=10.0)
    _assert_variance(I1, dt / (1 - np.exp(-0.4 * dt)), other=2.5 if dt == 1.0 else None)
    assert V.std() > 1.0  # the membrane sees the filtered current


def test_noise_drives_I1_not_V_by_default():
    """Q-8: one step from rest, no input: I1 moves, V (integrated with the old I1) does not."""
    n = spikax.GIF(1000, noise=0.5)
    n.init_state()
    _, tr = _loop(n, jnp.zeros((1, 1000)))
    assert n.noise_target == "I1" and np.all(tr["V"] == -70.0)
    np.testing.assert_allclose(tr["I1"].std(), 0.5 * 0.1 ** 0.5, rtol=0.15)


def _noisy_trace(seed, steps=1000):
    brainstate.random.seed(seed)
    n = spikax.GIF(2, noise=1.0 * u.mV / u.ms ** 0.5, noise_target="V", Vth_initializer=1e3,
                   V_th_inf=1e3)
    n.init_state(batch_size=2)
    return _loop(n, jnp.zeros((steps, 2, 2)))[1]["V"]


def test_noise_reproducible_with_a_seed_and_independent_across_neurons_and_batch():
    a, b, c = _noisy_trace(1), _noisy_trace(1), _noisy_trace(2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # the increments v' - rho v are sigma sqrt(dt) xi, independent across the 4 series
    rho = np.exp(-0.1 / 20.0)
    eps = ((a[1:] + 70.0) - rho * (a[:-1] + 70.0)).reshape(len(a) - 1, 4)
    np.testing.assert_allclose(eps.std(axis=0), 0.1 ** 0.5, rtol=0.1)
    corr = np.corrcoef(eps.T)
    assert np.abs(corr[~np.eye(4, dtype=bool)]).max() < 4.0 / np.sqrt(len(eps))


# ----------------------------------------------------------------------- firing patterns
@pytest.fixture(scope="module")
def patterns():
    with brainstate.environ.context(precision=64):
        return simulate_gif_patterns()


def _spike_times(r, start=0.0, stop=np.inf):
    t = r["t"][r["spike"]]
    return t[(t >= start) & (t < stop)]


def _rates(I, T=1000.0, **params):
    """Spike counts over ``T`` ms of GIF(**params) under the constant currents ``I`` (mA)."""
    n = spikax.GIF(len(I), **params)
    n.init_state()
    spikes = brainstate.transform.for_loop(lambda k: n.update(jnp.asarray(I)),
                                           jnp.arange(int(T / 0.1)))
    return np.asarray(spikes).sum(axis=0)


def test_pattern_table_is_complete_and_stimuli_match_durations():
    assert len(GIF_PATTERNS) == 20
    assert [p.panel for p in GIF_PATTERNS.values()] == [f"1{c}" for c in "ABCDEFGHIJKLMNOPQRST"]
    # panel durations t_f of the paper's Table 1 (ms)
    t_f = [200, 500, 200, 500, 1000, 400, 1000, 300, 400, 1000, 400, 400, 500, 500, 1000, 500,
           200, 200, 800, 50]
    assert [len(gif_pattern_stimulus(k)) for k in GIF_PATTERNS] == [10 * t for t in t_f]


def test_tonic_spiking(patterns):
    isi = np.diff(_spike_times(patterns["tonic_spiking"]))
    assert len(isi) >= 5 and np.ptp(isi) < 0.15


def test_class_1_excitability():
    """The rate rises continuously from zero: slow firing just above rheobase (1 mA)."""
    counts = _rates([0.99, 1.0 + 1e-6, 1.001, 1.01, 1.05, 1.2, 1.5])
    assert counts[0] == 0 and 0 < counts[1] <= 5 and np.all(np.diff(counts) > 0)


def test_class_2_excitability(patterns):
    """Firing starts at a non-zero rate: no spikes at 1.85 mA, ~33 Hz at 1.9 mA."""
    p = GIF_PATTERNS["class_2_excitability"]
    counts = _rates([1.8, 1.85, 1.9, 2.2], **p.params, Vth_initializer=p.V_th0)
    assert counts[0] == counts[1] == 0 and counts[2] >= 20 and counts[3] > counts[2]
    assert len(_spike_times(patterns["class_2_excitability"])) >= 5


def test_spike_frequency_adaptation(patterns):
    isi = np.diff(_spike_times(patterns["spike_frequency_adaptation"]))
    assert len(isi) >= 5 and np.all(np.diff(isi) > 0) and isi[-1] > 1.2 * isi[0]


def test_phasic_spiking(patterns):
    t = _spike_times(patterns["phasic_spiking"])
    assert len(t) >= 1 and t.max() < 200.0  # silent for the last 300 ms of the step


def test_accommodation(patterns):
    r = patterns["accommodation"]
    assert len(_spike_times(r, 0, 100)) >= 1 and len(_spike_times(r, 600, 1000)) == 0


def test_threshold_variability(patterns):
    r = patterns["threshold_variability"]
    assert len(_spike_times(r, 0, 200)) == 0 and len(_spike_times(r, 250, 275)) == 1


@pytest.mark.parametrize("name, n_min", [("rebound_spike", 1), ("rebound_burst", 3)])
def test_rebound(patterns, name, n_min):
    r = patterns[name]
    release = sum(d for _, d in GIF_PATTERNS[name].stimulus[:2])
    assert len(_spike_times(r, 0, release)) == 0
    after = _spike_times(r, release, release + 100)
    assert len(after) >= n_min
    if n_min > 1:
        assert np.diff(after).max() < 5.0


def test_integrator(patterns):
    r = patterns["integrator"]
    assert len(_spike_times(r, 0, 60)) == 1 and len(_spike_times(r, 300, 400)) == 0


def test_input_bistability(patterns):
    r = patterns["input_bistability"]
    assert len(_spike_times(r, 100, 500)) >= 5 and len(_spike_times(r, 600, 1000)) == 0


def _isi_groups(t, short, long):
    isi = np.diff(t)
    return (isi < short).sum(), (isi > long).sum(), ((isi >= short) & (isi <= long)).sum()


@pytest.mark.parametrize("name", ["tonic_bursting", "hyperpolarization_induced_bursting"])
def test_bursting_has_bimodal_isis(patterns, name):
    n_short, n_long, n_between = _isi_groups(_spike_times(patterns[name]), 10.0, 50.0)
    assert n_short >= 6 and n_long >= 2 and n_between == 0


def test_hyperpolarization_induced_spiking(patterns):
    r = patterns["hyperpolarization_induced_spiking"]
    assert np.all(r["I"] < 0)
    isi = np.diff(_spike_times(r))
    assert len(isi) >= 2 and np.ptp(isi) < 0.5


def test_phasic_bursting(patterns):
    t = _spike_times(patterns["phasic_bursting"])
    assert len(t) >= 3 and np.diff(t).max() < 10.0 and t.max() < 100.0


def test_mixed_mode(patterns):
    isi = np.diff(_spike_times(patterns["mixed_mode"]))
    assert np.all(isi[:5] < 10.0) and np.all(isi[-5:] > 25.0)


def test_afterpotentials(patterns):
    r = patterns["afterpotentials"]
    assert len(_spike_times(r)) == 1
    after = r["t"] > 16.0
    V = r["V"][after]
    peak = int(np.argmax(V))
    assert V[peak] > -70.0 + 5.0 and V[peak:].min() < -70.0  # depolarizing, then undershoot


def test_basal_bistability(patterns):
    r = patterns["basal_bistability"]
    assert len(_spike_times(r, 20, 100)) >= 5  # on without input after the first pulse
    assert len(_spike_times(r, 120, 200)) == 0  # switched off by the second


def test_preferred_frequency(patterns):
    r = patterns["preferred_frequency"]
    assert len(_spike_times(r, 0, 5)) == 1 and len(_spike_times(r, 10, 400)) == 0
    assert len(_spike_times(r, 400, 405)) == 1 and len(_spike_times(r, 450, 460)) == 1


def test_spike_latency(patterns):
    t = _spike_times(patterns["spike_latency"])
    assert len(t) == 1 and t[0] - 2.0 > 10.0  # fires well after the 2 ms pulse


def test_registry_run_helper_drives_gif():
    """The contract helper (t = k * dt, Quantity input) works with the classic model."""
    n = spikax.GIF(2, tau_ref=1.75)
    n.init_state()
    spikes, V = run(n, jnp.full((300, 2), 3.0) * u.mA)
    assert int(spikes.sum()) == 6 and float(V.min()) >= -70.0
