"""iaf_psc_alpha: NEST 3.10 parity traces, closed forms, refractory counts, inputs, validation."""

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

import spikax
from spikax.functional import (
    IafPscAlphaParams,
    IafPscAlphaState,
    iaf_psc_alpha_step,
    nest_refractory_steps,
)
from tests.registry import run
from tests.tolerances import ANALYTIC_F64_MV, FLOAT32_MV, NEST_IAF_PARITY_MV

REF = Path(__file__).resolve().parents[1] / "reference"
REF_FILES = sorted(REF.glob("nest_iaf_*.npz"))
FIELDS = IafPscAlphaParams._fields
NEST_DEFAULTS = dict(C_m=250.0, tau_m=10.0, t_ref=2.0, E_L=-70.0, V_reset=-70.0, V_th=-55.0,
                     V_min=-np.inf, I_e=0.0, tau_syn_ex=2.0, tau_syn_in=2.0)


def params(**kw):
    return IafPscAlphaParams(**{k: jnp.asarray(v) for k, v in {**NEST_DEFAULTS, **kw}.items()})


def rest_state(V=-70.0, count=0, I_stim=0.0):
    z = jnp.asarray(0.0)
    return IafPscAlphaState(jnp.asarray(V), z, z, z, z, jnp.asarray(count), jnp.asarray(I_stim))


step_once = jax.jit(lambda p, s: iaf_psc_alpha_step(p, s, 0.0, 0.0, 0.0, 0.1))


# ------------------------------------------------------------------------- NEST traces
@functools.lru_cache(maxsize=None)
def nest_runs(precision):
    """Replay every reference file with the module; ``{stem: (V [T, N] float64, spikes)}``.

    Files with the same ``dt`` run side by side as one population (their neurons are
    independent; shorter runs are padded), so each ``dt`` and precision compiles once.
    """
    refs = {p.stem: np.load(p) for p in REF_FILES}
    metas = {k: json.loads(str(r["meta"])) for k, r in refs.items()}
    out = {}
    for dt in sorted({m["dt_ms"] for m in metas.values()}):
        names = [k for k in refs if metas[k]["dt_ms"] == dt]
        T = max(refs[k]["V_m"].shape[0] for k in names)
        sizes = [refs[k]["V_m"].shape[1] for k in names]
        offsets = np.cumsum([0, *sizes])
        x = np.zeros((T, offsets[-1]))
        w = np.zeros((T, offsets[-1], 2))  # excitatory / inhibitory weights per step
        for k, o, n in zip(names, offsets, sizes):
            x[: refs[k]["x"].shape[0], o:o + n] = refs[k]["x"]
            for step, j, wt in refs[k]["events"]:
                w[int(step), o + int(j), 0 if wt > 0 else 1] += wt
        neurons = [p for k in names for p in metas[k]["neurons"]]
        kw = {f: np.array([-np.inf if p[f] is None else p[f] for p in neurons]) for f in FIELDS}
        V0 = np.concatenate([metas[k]["V0_mV"] for k in names])
        with brainstate.environ.context(dt=dt * u.ms, precision=precision):
            n = spikax.iaf_psc_alpha(len(neurons), **kw, V_initializer=V0)
            n.init_state()

            def step(x, wk):
                n.add_delta_input("ex", wk[:, 0] * u.pA)
                n.add_delta_input("in", wk[:, 1] * u.pA)
                spike = n.update(x * u.pA)
                return spike, n.V.value.to_decimal(u.mV)

            ft = brainstate.environ.dftype()
            spikes, V = brainstate.transform.for_loop(step, jnp.asarray(x, ft),
                                                      jnp.asarray(w, ft))
        V, spikes = np.asarray(V, np.float64), np.asarray(spikes) > 0
        for k, o, n in zip(names, offsets, sizes):
            steps = refs[k]["V_m"].shape[0]
            out[k] = V[:steps, o:o + n], np.argwhere(spikes[:steps, o:o + n])
    return out


def test_reference_files_are_present():
    names = {p.stem for p in REF_FILES}
    assert names == {f"nest_iaf_{s}" for s in ("ie", "step_current", "spikes", "tau_singular",
                                                 "refractory", "vmin", "dt005", "hetero")}
    for p in REF_FILES:
        meta = json.loads(str(np.load(p)["meta"]))
        assert meta["nest_version"] == "3.10.0" and meta["steps"] == np.load(p)["V_m"].shape[0]


@pytest.mark.parametrize("path", REF_FILES, ids=[p.stem for p in REF_FILES])
def test_float64_matches_nest(path):
    """Replays NEST 3.10 iaf_psc_alpha (tests/reference/make_nest_refs_iaf.py)."""
    ref = np.load(path)
    V, spikes = nest_runs(64)[path.stem]
    np.testing.assert_array_equal(spikes, ref["spikes"])
    np.testing.assert_allclose(V, ref["V_m"], rtol=0, atol=NEST_IAF_PARITY_MV)
    assert len(ref["spikes"]) > 0  # every scenario fires


@pytest.mark.parametrize("path", REF_FILES, ids=[p.stem for p in REF_FILES])
def test_float32_tracks_nest(path):
    ref = np.load(path)
    V, spikes = nest_runs(32)[path.stem]
    for j in range(V.shape[1]):
        ours, nest = spikes[spikes[:, 1] == j, 0], ref["spikes"][ref["spikes"][:, 1] == j, 0]
        assert len(ours) == len(nest)
        assert np.all(np.abs(ours - nest) <= 1)  # spike steps within one step
        # compare V up to one step before the first spike that moved
        moved = ours != nest
        end = (min(ours[moved][0], nest[moved][0]) - 1) if moved.any() else len(V)
        np.testing.assert_allclose(V[:end, j], ref["V_m"][:end, j], rtol=0, atol=FLOAT32_MV)


# ------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("t_ref, dt, steps", [
    (2.0, 0.1, 20), (2.05, 0.1, 21), (1.11, 0.1, 12), (3.75, 0.1, 38), (1.1, 0.1, 11),
    (1.11, 0.01, 111), (0.07, 0.01, 7), (2.22, 0.01, 222), (1.11, 0.05, 23), (0.0, 0.1, 0),
    (0.04, 0.1, 1),
])
def test_refractory_counts_follow_nest_tics(t_ref, dt, steps, precision):
    """NEST: round t_ref to tics (1 us), then ceil-divide by the tics per step."""
    dtype = jnp.float32 if precision == 32 else jnp.float64
    assert int(nest_refractory_steps(jnp.asarray(t_ref, dtype), jnp.asarray(dt, dtype))) == steps


def test_subthreshold_response_to_a_constant_current_is_exact():
    """V(t) = E_L + I tau_m / C_m (1 - exp(-t / tau_m)); I_e acts at once, x one step later."""
    I, tau, C = 300.0, 10.0, 250.0
    n = spikax.iaf_psc_alpha(2, I_e=[I, 0.0] * u.pA)
    n.init_state()
    x = jnp.zeros((400, 2)).at[:, 1].set(I) * u.pA
    spikes, V = run(n, x)
    t = 0.1 * np.arange(1, 401)
    want = -70.0 + I * tau / C * (1.0 - np.exp(-t / tau))
    assert int(spikes.sum()) == 0
    np.testing.assert_allclose(V[:, 0], want, rtol=0, atol=ANALYTIC_F64_MV)
    np.testing.assert_allclose(V[1:, 1], want[:-1], rtol=0, atol=ANALYTIC_F64_MV)
    assert float(V[0, 1]) == -70.0


def test_psc_is_an_alpha_function_peaking_at_the_weight():
    """A spike of weight w gives I(t) = w (t / tau) e^(1 - t / tau): peak w at t = tau."""
    tau = np.array([0.5, 2.0, 10.0])
    n = spikax.iaf_psc_alpha(3, tau_syn_ex=tau, tau_syn_in=tau)
    n.init_state()

    def step(k):
        first = (k == 0) * 1.0
        n.add_delta_input("a", first * 80.0 * u.pA)
        n.add_delta_input("b", first * -30.0 * u.pA)  # same step, other sign: other current
        n.update()
        return n.I_ex.value.to_decimal(u.pA), n.I_in.value.to_decimal(u.pA)

    I_ex, I_in = brainstate.transform.for_loop(step, jnp.arange(300))
    t = 0.1 * np.arange(300)[:, None]  # the jump happens at the end of update 0
    shape = (t / tau) * np.exp(1.0 - t / tau)
    np.testing.assert_allclose(I_ex, 80.0 * shape, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(I_in, -30.0 * shape, rtol=1e-12, atol=1e-12)
    peak = np.round(tau / 0.1).astype(int)
    np.testing.assert_array_equal(np.argmax(I_ex, axis=0), peak)
    np.testing.assert_allclose(np.asarray(I_ex)[peak, range(3)], 80.0, rtol=1e-14)


def test_spike_at_equality_and_check_during_refractoriness():
    """NEST tests V >= V_th every step, also while refractory (V is held there)."""
    p = params()
    _, spike = step_once(p, rest_state(V=-55.0, count=3))
    assert float(spike) == 1.0
    below = float(np.nextafter(-55.0, -np.inf))
    s, spike = step_once(p, rest_state(V=below, count=3))
    assert float(spike) == 0.0 and float(s.V) == below and int(s.refractory_step_count) == 2


def test_reset_forward_is_nests_value_and_gradient_flows():
    p = params(E_L=-70.1, V_reset=-65.3, V_th=-50.2, t_ref=0.35)
    s, spike = step_once(p, rest_state(V=-52.0, I_stim=9e4))
    assert float(spike) == 1.0
    assert float(s.V) == (-65.3 - -70.1) + -70.1  # NEST: y3 = V_reset - E_L, V_m = y3 + E_L
    assert int(s.refractory_step_count) == 4

    def loss(I):
        s, spike = step_once(p, rest_state(V=-52.0, I_stim=I))
        return spike + 1e-2 * s.V

    g = jax.jit(jax.grad(loss))(9e4)
    assert np.isfinite(g) and g != 0.0


def test_v_min_clamps_and_minus_infinity_means_no_bound():
    n = spikax.iaf_psc_alpha(2, V_min=[-72.0, -np.inf])
    n.init_state()
    _, V = run(n, jnp.full((100, 2), -5000.0) * u.pA)
    assert float(V[:, 0].min()) == -72.0 and float(V[-1, 1]) < -85.0


# ------------------------------------------------------------------------- inputs and states
def test_current_inputs_are_buffered_one_step():
    n = spikax.iaf_psc_alpha(1)
    n.init_state()
    n.add_current_input("array", 200.0 * u.pA)  # one-shot, summed with x
    n.add_current_input("leak", lambda V: -0.1 * u.pA * (V / u.mV))  # every step, at the old V
    n.update(100.0 * u.pA)
    assert float(n.V.value.to_decimal(u.mV)[0]) == -70.0
    np.testing.assert_allclose(n.I_stim.value.to_decimal(u.pA), [307.0])
    n.update()
    V1 = float(n.V.value.to_decimal(u.mV)[0])
    assert V1 > -70.0
    np.testing.assert_allclose(n.I_stim.value.to_decimal(u.pA), [7.0])  # V was -70 before
    n.update()
    np.testing.assert_allclose(n.I_stim.value.to_decimal(u.pA), [-0.1 * V1])


def test_delta_inputs_split_by_sign_elementwise():
    n = spikax.iaf_psc_alpha(3, tau_syn_in=5.0)
    n.init_state()
    n.add_delta_input("mixed", jnp.array([100.0, -50.0, 0.0]) * u.pA)
    n.update()
    e = np.e
    np.testing.assert_allclose(n.dI_ex.value.to_decimal(u.pA / u.ms), [100 * e / 2, 0, 0])
    np.testing.assert_allclose(n.dI_in.value.to_decimal(u.pA / u.ms), [0, -50 * e / 5, 0])
    with pytest.raises(u.UnitMismatchError, match="delta input 'bad'"):
        n.add_delta_input("bad", 1.0 * u.mV)
        n.update()


def test_last_spike_time_with_and_without_t():
    """``t + dt`` of the last spike; without ``t`` in the environment, ``t = n_steps * dt``."""
    n = spikax.iaf_psc_alpha(2, I_e=[2000.0, 0.0] * u.pA)
    n.init_state()
    spikes, _ = run(n, jnp.zeros((30, 2)) * u.pA)  # t = k * dt
    k = int(np.flatnonzero(spikes[:, 0])[-1])
    last = n.last_spike_time.value.to_decimal(u.ms)
    np.testing.assert_allclose(last, [(k + 1) * 0.1, -1e7], rtol=1e-12)
    n.reset_state()
    assert int(n.n_steps.value) == 0 and float(n.last_spike_time.value[0].to_decimal(u.ms)) == -1e7
    with brainstate.environ.context(t=100.0 * u.ms):  # t fixed: every spike stamped 100.1
        brainstate.transform.for_loop(lambda i: n.update(), jnp.arange(30))
    np.testing.assert_allclose(n.last_spike_time.value.to_decimal(u.ms)[0], 100.1)
    n.reset_state()
    brainstate.transform.for_loop(lambda i: n.update(), jnp.arange(30))  # no t at all
    np.testing.assert_allclose(n.last_spike_time.value.to_decimal(u.ms)[0], (k + 1) * 0.1)
    assert int(n.n_steps.value) == 30


def test_heterogeneous_parameters_with_and_without_batch():
    kw = dict(C_m=[250.0, 100.0, 400.0], tau_m=[10.0, 5.0, 20.0] * u.ms, t_ref=[2.0, 0.0, 1.11],
              E_L=-65.0 * u.mV, V_reset=[-70.0, -65.0, -60.0], I_e=[500.0, 300.0, 350.0] * u.pA,
              tau_syn_ex=[2.0, 5.0, 20.0], V_initializer=braintools.init.Constant(-60.0 * u.mV))
    a = spikax.iaf_psc_alpha(3, **kw)
    a.init_state()
    b = spikax.iaf_psc_alpha(3, **kw)
    b.init_state(batch_size=2)
    x = jnp.linspace(0.0, 200.0, 300)[:, None] * u.pA
    sa, va = run(a, jnp.ones((300, 3)) * x)
    sb, vb = run(b, jnp.ones((300, 2, 3)) * x[:, None])
    assert int(sa.sum()) > 3 and float(va[0, 0]) != float(va[0, 1])
    for row in range(2):
        np.testing.assert_array_equal(sb[:, row], sa)
        np.testing.assert_array_equal(vb[:, row], va)


def test_bare_numbers_equal_quantities():
    a = spikax.iaf_psc_alpha(2, C_m=0.2 * u.nF, tau_m=0.012 * u.second, V_th=-0.05 * u.volt,
                             I_e=0.4 * u.nA, tau_syn_ex=3.0 * u.ms)
    b = spikax.iaf_psc_alpha(2, C_m=200.0, tau_m=12.0, V_th=-50.0, I_e=400.0, tau_syn_ex=3.0)
    for x, y in zip(a._params(), b._params()):
        np.testing.assert_allclose(x, y, rtol=1e-14)


# ------------------------------------------------------------------------- gradients
def test_gradients_finite_at_and_near_tau_syn_equal_tau_m(precision):
    """d(spike count + V) / d(tau_syn, input scale) through 300 steps, tau_syn - tau_m = 0,
    1e-9 and -1e-4 (NEST's singular branches)."""
    dtype = jnp.float32 if precision == 32 else jnp.float64
    w = jnp.zeros((300,), dtype).at[jnp.array([10, 60, 61, 150])].set(900.0)
    s0 = IafPscAlphaState(*(jnp.asarray(v, dtype) for v in rest_state()[:5]), jnp.asarray(0),
                          jnp.asarray(0.0, dtype))
    dt = jnp.asarray(0.1, dtype)

    def loss(tau_syn, scale):
        p = IafPscAlphaParams(*(jnp.asarray(v, dtype) for v in params(I_e=300.0)))
        p = p._replace(tau_syn_ex=tau_syn, tau_syn_in=tau_syn)

        def f(s, wk):
            s, spike = iaf_psc_alpha_step(p, s, 0.0, scale * wk, -0.2 * scale * wk, dt)
            return s, (spike, s.V)

        _, (spikes, V) = jax.lax.scan(f, s0, w)
        return spikes.sum() + 1e-2 * V.sum()

    taus = jnp.asarray([10.0, 10.0 + 1e-9, 10.0 - 1e-4], dtype)
    grads = jax.jit(jax.vmap(jax.grad(loss, argnums=(0, 1))))(taus, jnp.ones(3, dtype))
    for g in grads:
        assert bool(jnp.all(jnp.isfinite(g))) and bool(jnp.all(g != 0.0))


# ------------------------------------------------------------------------- validation
@pytest.mark.parametrize("kw, match", [
    (dict(C_m=0.0), r"`C_m` must lie in \(0.0, inf\] pF; got 0"),
    (dict(C_m=-1.0 * u.pF), r"`C_m` must lie in \(0.0"),
    (dict(tau_m=-2.0), r"`tau_m` must lie in \(0.0"),
    (dict(tau_syn_ex=0.0 * u.ms), r"`tau_syn_ex` must lie in \(0.0"),
    (dict(tau_syn_in=[2.0, 0.0]), r"`tau_syn_in` must lie in \(0.0"),
    (dict(t_ref=-0.1), r"`t_ref` must lie in \[0.0, inf\] ms; got -0.1"),
    (dict(V_reset=-55.0), r"`V_reset` must be smaller than `V_th`.*V_reset=-55.0"),
    (dict(V_th=-80.0 * u.mV), r"`V_reset` must be smaller than `V_th`"),
    (dict(E_L=np.nan), r"`E_L` must be finite; got nan"),
    (dict(I_e=np.inf * u.pA), r"`I_e` must be finite"),
    (dict(V_min=np.nan), r"`V_min` must be a number or -inf"),
    (dict(V_min=np.inf), r"`V_min` must be a number or -inf"),
    (dict(V_min=-50.0), r"`V_min` must be smaller than `V_th`"),
    (dict(tau_m=[1.0, 2.0, 3.0]), r"`tau_m`.*\(2,\).*\(3,\)"),
])
def test_invalid_parameters_are_named(kw, match):
    with pytest.raises(ValueError, match=match):
        spikax.iaf_psc_alpha(2, **kw)


def test_nest_edge_values_are_accepted():
    n = spikax.iaf_psc_alpha(2, t_ref=0.0, V_min=[-np.inf, -90.0], tau_syn_ex=10.0)
    n.init_state()
    assert n.V.value.shape == (2,)
    with pytest.raises(u.UnitMismatchError, match="`V_min`"):
        spikax.iaf_psc_alpha(2, V_min=-70.0 * u.ms)
