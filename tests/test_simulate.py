"""`spikax.simulate`: equals a hand-written for_loop for every model; recording options,
chunking, batching, caching, gradients (raw jax.grad and brainstate grad, with and without
checkpointing) and argument errors."""

import warnings

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import saiunit as u

import spikax
import spikax._simulate as sim_mod
from spikax import SimulationResult, simulate

from .registry import IDS, NEURONS, run

T = 120
N = 3


def _drive(spec, steps=T, n=N, onset=0):
    """A per-step current that is 0 before ``onset`` and ``spec.current`` after."""
    on = (np.arange(steps) >= onset).astype(float)[:, None] * np.ones(n)
    return jnp.asarray(on) * spec.current


def _model(spec, batch=None, n=N):
    m = spec.cls(n, **spec.kw)
    m.init_state(batch)
    return m


def _mv(x):
    return np.asarray(u.Quantity(x).to_decimal(u.mV))


def _reference(spec, xs, batch=None):
    m = _model(spec, batch, n=xs.shape[-1])
    spikes, V = run(m, xs)
    return np.asarray(spikes), np.asarray(V)


@pytest.mark.parametrize("spec", NEURONS, ids=IDS)
def test_matches_for_loop_and_options(spec):
    xs = _drive(spec)
    ref_spk, ref_V = _reference(spec, xs)
    assert ref_spk.sum() > 0  # the registry current makes it fire
    m = _model(spec)
    res = simulate(m, xs, record=("spike", "V"))
    assert isinstance(res, SimulationResult)
    np.testing.assert_array_equal(np.asarray(res["spike"]), ref_spk)
    np.testing.assert_allclose(_mv(res.V), ref_V, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(res.t.to_decimal(u.ms)), np.arange(T) * 0.1,
                               atol=1e-12)
    # every k-th step, neuron subset, bool and counts
    sub = simulate(m, xs, record=("spike", "V"), every=7, neurons=[0, 2], spikes="bool")
    assert sub["spike"].dtype == jnp.bool_
    np.testing.assert_array_equal(np.asarray(sub["spike"]), ref_spk[::7][:, [0, 2]] > 0)
    np.testing.assert_allclose(_mv(sub["V"]), ref_V[::7][:, [0, 2]], rtol=0, atol=1e-12)
    assert sub.t.shape == (len(range(0, T, 7)),)
    cnt = simulate(m, xs, spikes="counts", every=5)
    np.testing.assert_array_equal(np.asarray(cnt["spike"]), ref_spk.sum(0))


# GifRef reads `t` (refractoriness): callable inputs and chunk offsets must set it right.
SOME = [s for s in NEURONS if s.cls in (spikax.LIF, spikax.GifRef)]


@pytest.mark.parametrize("spec", SOME, ids=[s.cls.__name__ for s in SOME])
def test_chunked(spec):
    xs = _drive(spec)
    ref_spk, ref_V = _reference(spec, xs)
    m = _model(spec)
    # chunked run equals the unchunked one (chunk not dividing T: a shorter last chunk)
    ch = simulate(m, xs, record=("spike", "V"), chunk=50)
    np.testing.assert_array_equal(np.asarray(ch["spike"]), ref_spk)
    np.testing.assert_allclose(_mv(ch["V"]), ref_V, rtol=0, atol=1e-12)
    chc = simulate(m, xs, spikes="counts", chunk=50)
    np.testing.assert_array_equal(np.asarray(chc["spike"]), ref_spk.sum(0))


@pytest.mark.parametrize("spec", SOME, ids=[s.cls.__name__ for s in SOME])
def test_callable_input_batch_and_grad(spec):
    onset = 50  # 5 ms
    xs = _drive(spec, onset=onset)
    m = _model(spec)
    arr = simulate(m, xs, record=("spike", "V"))
    amp = spec.current
    fn = lambda t: jnp.where(t.to_decimal(u.ms) >= 5.0 - 1e-9, 1.0, 0.0) * amp * jnp.ones(N)  # noqa: E731
    cal = simulate(m, fn, steps=T, record=("spike", "V"))
    np.testing.assert_array_equal(np.asarray(cal["spike"]), np.asarray(arr["spike"]))
    np.testing.assert_allclose(_mv(cal["V"]), _mv(arr["V"]), rtol=0, atol=1e-12)
    assert np.asarray(arr["spike"])[:onset - 5].sum() == 0

    # batch: two rows of the same drive give the unbatched result twice
    mb = _model(spec, batch=2)
    xb = u.math.stack([xs, xs], axis=1)
    resb = simulate(mb, xb, record=("spike", "V"))
    assert resb["spike"].shape == (T, 2, N)
    for b in range(2):
        np.testing.assert_array_equal(np.asarray(resb["spike"])[:, b], np.asarray(arr["spike"]))
    assert mb.V.value.shape == (2, N)

    # gradient of a loss of the recorded spikes and V w.r.t. an input scale
    def loss_sim(s, ckpt=False):
        r = simulate(m, xs * s, record=("spike", "V"), checkpoint=ckpt)
        return r["spike"].sum() + jnp.mean(_mv_j(r["V"])) * 1e-3

    def loss_ref(s):
        m.reset_state()
        spk, V = run(m, xs * s)
        return spk.sum() + jnp.mean(V) * 1e-3

    g_ref = brainstate.transform.grad(loss_ref, argnums=0)(1.0)
    g_raw = jax.grad(loss_sim)(1.0)
    g_bs = brainstate.transform.grad(loss_sim, argnums=0)(1.0)
    g_ck = jax.grad(lambda s: loss_sim(s, True))(1.0)
    g_k7 = jax.grad(lambda s: loss_sim(s, 7))(1.0)  # segments that do not divide T
    assert np.isfinite(g_raw)
    np.testing.assert_allclose(g_raw, g_ref, rtol=1e-12)
    np.testing.assert_allclose(g_bs, g_ref, rtol=1e-12)
    np.testing.assert_allclose(g_ck, g_raw, rtol=1e-12)
    np.testing.assert_allclose(g_k7, g_raw, rtol=1e-12)
    # after a raw jax.grad the states hold no tracer: the model still runs eagerly
    simulate(m, xs)


def _mv_j(x):
    return u.Quantity(x).to_decimal(u.mV)


def test_grad_wrt_parameter_and_jit():
    xs = jnp.ones((100, N)) * 3.0 * u.mA

    def loss(tau):
        m = spikax.LIF(N, tau=tau * u.ms)
        m.init_state()
        return simulate(m, xs, spikes="counts", checkpoint=True)["spike"].sum()

    def loss_ref(tau):
        m = spikax.LIF(N, tau=tau * u.ms)
        m.init_state()
        with brainstate.StateTraceStack() as st:
            spk, _ = run(m, xs)
        st.recovery_original_values()
        return spk.sum()

    g = jax.grad(loss)(5.0)
    assert np.isfinite(g) and g != 0
    np.testing.assert_allclose(g, jax.grad(loss_ref)(5.0), rtol=1e-12)
    # inside jax.jit the loop is traced inline; the result is a pytree
    m = _model(NEURONS[0])
    res = jax.jit(lambda x: simulate(m, x, record=("spike", "V")))(xs)
    np.testing.assert_array_equal(np.asarray(res["spike"]),
                                  np.asarray(simulate(m, xs)["spike"]))


def test_compiled_function_is_cached():
    m = _model(NEURONS[0])
    xs = jnp.ones((64, N)) * 3.0 * u.mA
    simulate(m, xs, record=("spike", "V"), every=2)
    simulate(m, xs, record=("spike", "V"), every=2, reset=False)  # its own program
    n = sim_mod._TRACE_COUNT
    r = simulate(m, xs * 0.5, record=("spike", "V"), every=2)
    simulate(m, xs, record=("spike", "V"), every=2, t0=3 * u.ms, reset=False)
    simulate(m, xs, record=("spike", "V"), every=2, start_step=7, reset=False)
    assert sim_mod._TRACE_COUNT == n
    assert r["V"].shape == (32, N)
    # a chunked run compiles a bounded number of chunks, not one per chunk: the first, the
    # later ones writing into the donated buffers of the one before, the shorter last one
    simulate(m, jnp.ones((1000, N)) * 3.0 * u.mA, chunk=200)
    assert sim_mod._TRACE_COUNT == n + 2
    simulate(m, jnp.ones((1000, N)) * 3.0 * u.mA, chunk=300)
    assert sim_mod._TRACE_COUNT == n + 5


def test_new_input_function_per_call_warns_once_and_cache_is_bounded():
    """A callable input created anew for every call (a lambda in a trial loop) compiles
    every time, as the program bakes in what it captures: warned once per model, at the
    third function of the same code, and only the newest few programs are kept."""
    m = _model(NEURONS[0])
    amps = [3.0 + 0.5 * i for i in range(7)]
    want = [np.asarray(simulate(m, _drive(NEURONS[0]) * a / 3.0, spikes="counts")["spike"])
            for a in amps]
    n = sim_mod._TRACE_COUNT
    got = []
    with pytest.warns(UserWarning, match="new input function object") as caught:
        for a in amps:
            amp = a * u.mA  # a new closure (over this trial's amplitude) every call
            got.append(np.asarray(simulate(m, lambda t: jnp.ones(N) * amp, steps=T,  # noqa: B023
                                           spikes="counts")["spike"]))
    assert sum("new input function object" in str(w.message) for w in caught) == 1
    assert caught[0].filename == __file__  # it points at the simulate call
    assert sim_mod._TRACE_COUNT == n + len(amps)  # one compilation each, as before
    same_code = [k for k in sim_mod._CACHE[m] if callable(k[0][sim_mod._FN])]
    assert len(same_code) == sim_mod._SAME_CODE_KEPT
    for g, w in zip(got, want, strict=True):  # and the right results
        np.testing.assert_array_equal(g, w)
    assert len({float(g.sum()) for g in got}) > 1  # the amplitudes matter

    # the remedy the warning names: one function, the changing value in a State
    amp = brainstate.State(jnp.asarray(3.0))

    def drive(t):
        return jnp.ones(N) * amp.value * u.mA

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = np.asarray(simulate(m, drive, steps=T, spikes="counts")["spike"])
        n = sim_mod._TRACE_COUNT
        amp.value = jnp.asarray(amps[-1])
        last = np.asarray(simulate(m, drive, steps=T, spikes="counts")["spike"])
    assert sim_mod._TRACE_COUNT == n  # no new compilation
    np.testing.assert_array_equal(first, want[0])
    np.testing.assert_array_equal(last, want[-1])


@pytest.mark.parametrize("spikes", ["float", "bool", "counts"])
def test_out_buffers_are_donated_and_results_equal(spikes):
    m = _model(NEURONS[0])
    xs = jnp.ones((50, N)) * 3.0 * u.mA
    kw = dict(record=("spike", "V"), every=3, spikes=spikes)
    ref = simulate(m, xs, **kw)
    ref_np = {k: np.asarray(u.get_mantissa(v)) for k, v in ref.records.items()}
    first = simulate(m, xs, **kw)
    second = simulate(m, xs, out=first, **kw)
    n = sim_mod._TRACE_COUNT
    third = simulate(m, xs, out=second, **kw)
    assert sim_mod._TRACE_COUNT == n  # the donating call is compiled once
    for name, value in ref_np.items():
        np.testing.assert_array_equal(np.asarray(u.get_mantissa(third[name])), value)
        assert u.get_unit(third[name]) == u.get_unit(ref[name])
    # the donated arrays are gone: using them again is a clear error
    assert u.get_mantissa(first["V"]).is_deleted()
    with pytest.raises(ValueError, match="already donated"):
        simulate(m, xs, out=first, **kw)


def test_out_mismatch_is_an_error():
    m = _model(NEURONS[0])
    xs = jnp.ones((20, N)) * 3.0 * u.mA
    res = simulate(m, xs, record=("spike", "V"))
    with pytest.raises(ValueError, match="time points"):
        simulate(m, xs, record=("spike", "V"), every=2, out=res)
    with pytest.raises(ValueError, match="do not match"):
        simulate(m, xs, record=("V",), out=res)
    with pytest.raises(TypeError, match="SimulationResult"):
        simulate(m, xs, out={"spike": res["spike"]})
    with pytest.raises(ValueError, match="transformation"):
        jax.jit(lambda x: simulate(m, x, record=("spike", "V"), out=res)["V"])(xs)


def test_t0_dt_duration_progress_network(capsys):
    class Net(brainstate.nn.Module):
        def __init__(self):
            super().__init__()
            self.pop = spikax.LIF(N, tau=5 * u.ms)

        def update(self):
            return self.pop.update(3.0 * u.mA)

    net = Net()
    net.pop.init_state()
    res = simulate(net, None, duration=10 * u.ms, dt=0.2 * u.ms, t0=2 * u.ms,
                   record=("spike", "pop.V", "V"), progress=True)
    assert res["spike"].shape == (50, N)
    np.testing.assert_array_equal(np.asarray(res["pop.V"].mantissa),
                                  np.asarray(res["V"].mantissa))
    np.testing.assert_allclose(np.asarray(res.t.to_decimal(u.ms))[[0, -1]], [2.0, 11.8])
    assert "100.0% (50/50 steps)" in capsys.readouterr().err
    assert brainstate.environ.get_dt() == 0.1 * u.ms  # dt restored after the call


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(record=("spike", "nope")), ValueError, ["record", "'nope'", "'V'", "'spike'"]),
    (dict(every=0), ValueError, ["every", ">= 1"]),
    (dict(every=1.5), ValueError, ["every"]),
    (dict(steps=10), ValueError, ["inputs", "20", "10"]),
    (dict(duration=3 * u.ms), ValueError, ["inputs", "20", "30"]),
    (dict(spikes="raster"), ValueError, ["spikes", "'float'", "'bool'", "'counts'"]),
    (dict(chunk=5, every=2), ValueError, ["chunk", "every"]),
    (dict(neurons=[[0]]), TypeError, ["neurons"]),
    (dict(record=3), TypeError, ["record"]),
])
def test_bad_arguments(kwargs, exc, words):
    m = _model(NEURONS[0])
    xs = jnp.ones((20, N)) * u.mA
    with pytest.raises(exc) as info:
        simulate(m, xs, **kwargs)
    for w in words:
        assert w in str(info.value)


def test_bad_inputs_and_model():
    m = _model(NEURONS[0])
    with pytest.raises(ValueError, match="steps"):
        simulate(m, lambda t: 1 * u.mA)
    with pytest.raises(ValueError, match="leading time axis"):
        simulate(m, 1.0 * u.mA)
    with pytest.raises(TypeError, match="model"):
        simulate(object(), None, steps=3)


def test_one_shot_inputs_registered_before_the_run_act_once():
    """A delta input added before ``simulate`` kicks V in the first step only, as it would
    in a hand-written loop calling ``update`` (and a callable input acts every step)."""
    lif = spikax.LIF(2, tau=10 * u.ms)
    lif.init_state()
    lif.add_delta_input("kick", jnp.array([0.5, 0.25]) * u.mV)
    res = simulate(lif, steps=5, record="V")
    v = res["V"].to_decimal(u.mV)
    decay = np.exp(-0.1 / 10)
    expected = np.array([0.5, 0.25])[None, :] * decay ** np.arange(5)[:, None]
    np.testing.assert_allclose(np.asarray(v), expected, rtol=1e-12)
    assert lif._delta_inputs in (None, {})  # consumed, not left for a later update
    lif.add_delta_input("drip", lambda: 0.1 * u.mV)
    v = simulate(lif, steps=3, record="V")["V"].to_decimal(u.mV)
    # every step: decay, then the 0.1 mV jump (reset=True started from V = 0)
    np.testing.assert_allclose(np.asarray(v)[:, 0], [0.1, 0.1 * decay + 0.1,
                                                     (0.1 * decay + 0.1) * decay + 0.1],
                               rtol=1e-12)


def test_checkpointed_segments_bound_bptt_memory():
    """checkpoint=True stores the states at sqrt(T) segment starts instead of every step:
    the compiled gradient's temporary memory shrinks by more than 4x at T = 2000."""
    lif = spikax.LIF(256, tau=10 * u.ms)
    lif.init_state()
    drive = jnp.linspace(1.1, 1.5, 256) * u.mA

    def loss(w, ckpt):  # no T x N array anywhere but the stored states
        res = simulate(lif, lambda t: drive * w, steps=2000, spikes="counts",
                       checkpoint=ckpt)
        return res["spike"].sum()

    def temp_bytes(ckpt):
        compiled = jax.jit(jax.grad(lambda w: loss(w, ckpt))).lower(1.0).compile()
        return compiled.memory_analysis().temp_size_in_bytes

    g = {c: float(jax.grad(lambda w: loss(w, c))(1.0)) for c in (False, True)}
    assert g[False] != 0 and g[True] == pytest.approx(g[False], rel=1e-12)
    plain, ckpt = temp_bytes(False), temp_bytes(True)
    assert ckpt * 4 < plain, (plain, ckpt)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "yes", 3])
def test_bad_checkpoint_is_named(bad):
    lif = spikax.LIF(2)
    lif.init_state()
    with pytest.raises(ValueError, match="checkpoint"):
        simulate(lif, steps=10, every=2, checkpoint=bad)
