"""Neuron tiling in `spikax.simulate` (``tile=``): a tiled run is bit-identical to the
per-step loop over the whole population, for every model, batched or not, float32 and
float64, with every kind of input and output; the plan is made only when the neurons are
independent, and an explicit ``tile`` that cannot be honoured says why."""

import os

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import saiunit as u

import spikax
import spikax._simulate as sim_mod
import spikax._tiling as tiling
from spikax._tiling import TilePlan, plan_tiles

from .registry import IDS, NEURONS

N = 1003  # 4 tiles of 251 (tile=256 balanced); the last overlaps the one before
T = 150


@pytest.fixture(autouse=True)
def auto_tiles(monkeypatch):
    """``tile='auto'`` plans as on a backend where tiles pay (jax 0.12's CPU), whatever this
    one is, so that its rules are tested everywhere (``test_auto_tiles_only_where_...``
    checks the switch itself)."""
    monkeypatch.setattr(tiling, "auto_tiles_pay", lambda: True)


def test_auto_tiles_only_where_the_plain_loop_runs_on_one_thread(monkeypatch):
    """The switch predicts what XLA does with simulate's own plain loop: 'auto' tiles exactly
    when that loop is compiled into a single-threaded call (jax 0.12's CPU), not when its
    fusions are split over the cores (jax 0.10) or on another backend."""
    monkeypatch.undo()
    tiling.auto_tiles_pay.cache_clear()
    pays = tiling.auto_tiles_pay()
    m = spikax.LIF(1 << 18)
    m.init_state()
    spikax.simulate(m, lambda t: 1.0 * u.mA, steps=2, spikes="counts", tile=None)
    (fn,) = sim_mod._CACHE[m].values()
    args = (None, jnp.asarray(0.0), jnp.asarray(0), jnp.asarray(1 << 18), None, ())
    text = fn.lower(*args).compile().as_text()
    assert "while" in text
    single = "xla_cpu_small_call" in text
    assert pays == (jax.default_backend() == "cpu" and (single or os.cpu_count() == 1))
    plan = _plan(m)
    assert (plan is not None) == pays


def _model(spec, batch=None, n=N, **kw):
    m = spec.cls(n, **{**spec.kw, **kw})
    m.init_state(batch)
    return m


def _spread(n=N):
    """Every neuron differs: a per-neuron factor 0.9 ... 1.3."""
    return jnp.linspace(0.9, 1.3, n)


def _values(res, model):
    recs = {k: np.asarray(u.get_mantissa(v)) for k, v in res.records.items()}
    final = {".".join(map(str, k)): np.asarray(u.get_mantissa(s.value))
             for k, s in model.states().items()}
    return recs, final


def _run_both(make, **kw):
    """``simulate`` untiled and with ``tile=256`` on two fresh models; their records and
    final states."""
    out = []
    for tile in (None, 256):
        m = make()
        res = spikax.simulate(m, tile=tile, **kw)
        out.append(_values(res, m))
        plans = [cfg[-2] for cfg, *_ in sim_mod._CACHE[m]]
        assert any(isinstance(p, TilePlan) for p in plans) == (tile is not None)
    return out


def _assert_identical(a, b):
    """Spikes (and every integer or boolean value) identical; floating-point values equal
    to the last bits. (A transcendental of a per-neuron parameter, e.g. exp(-dt / tau),
    can be constant-folded by XLA for the whole population and computed at run time for
    a tile, or vice versa: the two roundings may differ by an ulp.)"""
    for part_a, part_b in zip(a, b, strict=True):
        assert part_a.keys() == part_b.keys()
        for k in part_a:
            x, y = part_a[k], part_b[k]
            if k == "spike" or not np.issubdtype(x.dtype, np.floating):
                np.testing.assert_array_equal(x, y, err_msg=k)
            else:  # a few ulp of the value's scale
                r = 8 * np.finfo(x.dtype).eps
                np.testing.assert_allclose(x, y, rtol=r, atol=r * np.abs(x).max(),
                                           err_msg=k)


@pytest.mark.parametrize("spec", NEURONS, ids=IDS)
def test_tiled_raster_and_states_are_bit_identical(spec, precision):
    """Per-step array inputs (every neuron its own current), spikes and V every 2nd step."""
    on = (np.arange(T) >= 5).astype(float)[:, None]
    xs = jnp.asarray(on) * _spread() * spec.current
    untiled, tiled = _run_both(lambda: _model(spec), inputs=xs, record=("spike", "V"),
                               every=2)
    assert untiled[0]["spike"].sum() > 0
    assert len(np.unique(untiled[1]["V"])) > N // 2  # the neurons really differ
    _assert_identical(untiled, tiled)


@pytest.mark.parametrize("spec", NEURONS, ids=IDS)
def test_tiled_counts_batched_constant_input(spec):
    """A callable per-neuron input that does not change in time (computed once and sliced
    per tile), a batch of 2, spike counts."""
    drive = _spread()[None, :] * jnp.asarray([[1.0], [1.1]]) * spec.current
    untiled, tiled = _run_both(lambda: _model(spec, batch=2), inputs=lambda t: drive,
                               steps=T, spikes="counts", reset=True)
    assert untiled[0]["spike"].shape == (2, N) and untiled[0]["spike"].sum() > 0
    _assert_identical(untiled, tiled)


@pytest.mark.parametrize("spec", NEURONS, ids=IDS)
def test_tiled_time_dependent_scalar_input_bool_raster(spec):
    """A callable of time without a neuron axis (called every step inside each tile); the
    neurons differ through their initial state."""
    def make():
        m = _model(spec)
        with brainstate.environ.context(precision=64):
            v = m.V.value
        m.V.value = v + u.math.linspace(-2.0, 0.0, N) * u.get_unit(v)
        return m

    untiled, tiled = _run_both(
        make, inputs=lambda t: spec.current * (t >= 1.0 * u.ms), steps=T, spikes="bool",
        record=("spike", "V"), reset=False)
    assert untiled[0]["spike"].dtype == np.bool_ and untiled[0]["spike"].any()
    _assert_identical(untiled, tiled)


def test_per_neuron_parameters_are_sliced_per_tile():
    """Per-neuron parameter arrays (LIF's tau and V_th; GLIF5's per-neuron ASC amplitudes of
    shape (N, 2)) follow their tile."""
    xs = jnp.ones((T, N)) * 3.0 * u.mA
    lif = dict(tau=jnp.linspace(2.0, 8.0, N) * u.ms, V_th=jnp.linspace(0.8, 1.2, N) * u.mV)
    out = []
    for tile in (None, 256):
        m = spikax.LIF(N, **lif)
        m.init_state()
        out.append(_values(spikax.simulate(m, xs, record=("spike", "V"), tile=tile), m))
    _assert_identical(*out)
    rates = out[0][0]["spike"].sum(0)
    assert rates[0] > rates[-1]  # short tau, low threshold: the first neurons fire most

    amps = np.stack([np.linspace(-30.0, 0.0, N), np.linspace(0.0, 30.0, N)], axis=1)
    out = []
    for tile in (None, 256):
        m = spikax.glif_psc_double_alpha(N, spike_dependent_threshold=True,
                                         after_spike_currents=True, adapting_threshold=True,
                                         asc_amps=amps)
        m.init_state()
        out.append(_values(spikax.simulate(m, lambda t: 600.0 * u.pA, steps=200,
                                           record=("spike", "V"), tile=tile), m))
    _assert_identical(*out)
    assert out[0][0]["spike"].sum() > 0


def test_donated_buffers_and_chunks_with_tiles():
    spec = NEURONS[0]
    xs = jnp.ones((T, N)) * _spread() * spec.current
    m = _model(spec)
    ref = spikax.simulate(m, xs, record=("spike", "V"), tile=None)
    ref = {k: np.asarray(u.get_mantissa(v)) for k, v in ref.records.items()}
    first = spikax.simulate(m, xs, record=("spike", "V"), tile=256)
    again = spikax.simulate(m, xs, record=("spike", "V"), tile=256, out=first)
    chunked = spikax.simulate(m, xs, record=("spike", "V"), tile=256, chunk=25)
    for res in (again, chunked):
        for k, v in ref.items():
            np.testing.assert_array_equal(np.asarray(u.get_mantissa(res[k])), v)


def _plan(model, tile="auto", inputs=None, records=(("spike", "spike"),), neurons=None,
          spikes="float", progress=False, kind=None, xs=None):
    kind = kind or ("none" if inputs is None else "callable")
    states = sim_mod._state_names(model)
    return plan_tiles(tile, model, model.nodes(), states, kind, inputs, xs, records, neurons,
                      spikes, (), progress, sim_mod._batch_size(model))


def test_automatic_plan():
    small = spikax.LIF(1000)
    small.init_state()
    assert _plan(small) is None  # fewer than two tiles: the plain loop
    big = spikax.LIF(200_000)
    big.init_state()
    # 8 bytes of state per neuron (V in float64) + 8 for its input and count. Counts only:
    # 64 KiB / 16 = 4096 neurons per tile at most, i.e. 49 tiles at least; 50 divides 200000
    assert _plan(big, spikes="counts") == TilePlan(n=200_000, tile=4_000, n_tiles=50,
                                                   batched=False, hoist=False)
    # a raster is recorded: 256 KiB / 16 = 16384 at most, 13 tiles at least, 16 divide 200000
    assert _plan(big) == TilePlan(n=200_000, tile=12_500, n_tiles=16, batched=False,
                                  hoist=False)
    # N = 1003 = 17 * 59 has no divisor in [4, 8): 4 balanced tiles of 251, the last overlaps
    m = spikax.LIF(N)
    m.init_state()
    assert _plan(m, tile=256) == TilePlan(n=N, tile=251, n_tiles=4, batched=False, hoist=False)
    assert _plan(m, tile=60) == TilePlan(n=N, tile=59, n_tiles=17, batched=False, hoist=False)
    glif = spikax.glif_psc_double_alpha(20_000)
    glif.init_state(3)
    plan = _plan(glif)
    assert plan is not None and plan.batched and plan.tile < 20_000 // 2


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "fast", [4]])
def test_bad_tile_values(bad):
    m = spikax.LIF(10)
    m.init_state()
    with pytest.raises(ValueError, match="`tile` must be 'auto', None or a positive"):
        spikax.simulate(m, steps=3, tile=bad)


def test_explicit_tile_that_cannot_be_honoured_says_why():
    def lif():
        m = spikax.LIF(N)
        m.init_state()
        return m

    cases = [
        (dict(steps=5), spikax.GIF(N, noise=0.1), "noise"),
        (dict(inputs=lambda t: jnp.ones(N) * t.to_decimal(u.ms) * u.mA, steps=5), lif(),
         "changes with time"),
        (dict(steps=5, neurons=[1, 2]), lif(), "`neurons`"),
        (dict(steps=5, progress=True), lif(), "progress"),
        (dict(inputs=jnp.ones((5, 7)) * u.mA), lif(), "last axis has size 7"),
    ]
    m = lif()
    m.add_current_input("syn", lambda V: 1.0 * u.mA)
    cases.append((dict(steps=5), m, "registered"))
    for kwargs, model, why in cases:
        if not model.states():
            model.init_state()
        with pytest.raises(ValueError, match=why):
            spikax.simulate(model, tile=16, **kwargs)
        if why != "last axis has size 7":  # (that input does not fit the model at all)
            spikax.simulate(model, tile="auto", **kwargs)  # auto: the plain loop


def test_auto_falls_back_when_a_subclass_hides_per_neuron_data():
    """A user subclass that keeps a per-neuron array where the tile view does not look (a
    dict) cannot be traced tile by tile: ``'auto'`` runs the plain loop instead."""

    class Scaled(spikax.LIF):
        def __init__(self, n, **kw):
            super().__init__(n, **kw)
            self.extra = {"gain": jnp.linspace(1.0, 2.0, n)}

        def update(self, x=0.0 * u.mA):
            return super().update(x * self.extra["gain"])

    n = 300_000  # two LIF tiles or more in float64
    m = Scaled(n)
    m.init_state()
    xs = jnp.ones((3, 1)) * 1.2 * u.mA
    res = spikax.simulate(m, xs, record=("spike", "V"))
    ref = Scaled(n)
    ref.init_state()
    want = spikax.simulate(ref, xs, record=("spike", "V"), tile=None)
    np.testing.assert_array_equal(np.asarray(res.V.to_decimal(u.mV)),
                                  np.asarray(want.V.to_decimal(u.mV)))
    assert res.V.to_decimal(u.mV)[-1, -1] > res.V.to_decimal(u.mV)[-1, 0]  # the gain acts


def test_auto_with_callables_that_read_the_time_from_environ():
    """A callable input may read the time from ``brainstate.environ`` (as the loop sets it)
    rather than from its argument: it is not mistaken for a constant (which would hoist it),
    and one that fails outside the loop's context does not break ``'auto'``."""
    n = 40_000  # several LIF tiles in float64
    drive = jnp.linspace(1.0, 1.1, n) * 1.5 * u.mA

    def ramp(t):  # per-neuron and changing in time, through environ only
        return drive * (brainstate.environ.get("t") / (0.1 * u.ms))

    m = spikax.LIF(n)
    m.init_state()
    with pytest.raises(ValueError, match="changes with time"):
        spikax.simulate(m, ramp, steps=20, tile=4096)
    res = spikax.simulate(m, ramp, steps=20, spikes="counts", record=("spike", "V"))
    ref = spikax.simulate(m, ramp, steps=20, spikes="counts", record=("spike", "V"), tile=None)
    np.testing.assert_array_equal(np.asarray(res.spike), np.asarray(ref.spike))
    np.testing.assert_array_equal(np.asarray(res.V.to_decimal(u.mV)),
                                  np.asarray(ref.V.to_decimal(u.mV)))
    assert float(jnp.sum(res.spike)) > 0  # the ramp drives spikes: the check is not vacuous

    calls = []

    def strict(t):  # raises unless called inside the loop (where `i` is a traced step)
        calls.append(t)
        if len(calls) == 1:
            raise RuntimeError("only inside the loop")
        return drive

    def reads_t(t):  # per-neuron and constant: hoisted, and evaluated as the loop would
        brainstate.environ.get("t")
        return drive * 20.0  # ~30 mA: fires within the 20 steps

    hoisted = spikax.simulate(m, reads_t, steps=20, spikes="counts", tile=4096)
    plain = spikax.simulate(m, reads_t, steps=20, spikes="counts", tile=None)
    np.testing.assert_array_equal(np.asarray(hoisted.spike), np.asarray(plain.spike))
    assert float(jnp.sum(plain.spike)) > 0

    with pytest.raises(ValueError, match="inspecting the inputs failed.*only inside"):
        spikax.simulate(m, strict, steps=5, tile=4096)
    calls.clear()
    out = spikax.simulate(m, strict, steps=5, spikes="counts")  # 'auto': the plain loop
    assert out.spike.shape == (n,)
