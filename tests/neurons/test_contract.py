"""The contract every public model keeps (driven by tests/registry.py)."""

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import saiunit as u

import spikax
from tests.registry import IDS, NEURONS, run
from tests.tolerances import FLOAT32_MV

T = 200


def drive(I, shape):
    """``T`` steps of a constant current ``I`` broadcast to ``shape``."""
    return jnp.ones((T, *shape)) * I


@pytest.mark.parametrize("model", NEURONS, ids=IDS)
@pytest.mark.parametrize("batch", [None, 2])
def test_jit_shapes_with_and_without_batch(model, batch):
    cls, kw, I = model[:3]
    n = cls(4, **kw)
    n.init_state(batch_size=batch)
    shape = (4,) if batch is None else (batch, 4)
    assert n.V.value.shape == shape
    out = brainstate.transform.jit(n.update)(jnp.zeros(shape) * I)
    assert out.shape == shape
    assert n.V.value.shape == shape


@pytest.mark.parametrize("model", NEURONS, ids=IDS)
def test_for_loop_fires_in_both_precisions(model, precision):
    cls, kw, I = model[:3]
    n = cls(3, **kw)
    n.init_state()
    spikes, V = run(n, drive(I, (3,)))
    want = jnp.float32 if precision == 32 else jnp.float64
    assert spikes.dtype == want and n.V.value.dtype == want
    assert bool(jnp.all(jnp.isfinite(V)))
    assert int(spikes.sum()) >= 3  # every neuron fires at least once


@pytest.mark.parametrize("model", NEURONS, ids=IDS)
def test_float32_tracks_float64(model):
    cls, kw, I = model[:3]
    traces = {}
    for prec in (32, 64):
        with brainstate.environ.context(precision=prec):
            n = cls(1, **kw)
            n.init_state()
            traces[prec] = [np.asarray(a, np.float64) for a in run(n, drive(I, (1,)))]
    (s32, v32), (s64, v64) = traces[32], traces[64]
    first = int(np.argmax(s64[:, 0] > 0))
    assert first > 0
    np.testing.assert_allclose(v32[:first], v64[:first], atol=FLOAT32_MV)
    assert abs(s32.sum() - s64.sum()) <= 1


@pytest.mark.parametrize("model", NEURONS, ids=IDS)
def test_batch_rows_equal_the_unbatched_run(model):
    cls, kw, I = model[:3]
    a = cls(3, **kw)
    a.init_state()
    b = cls(3, **kw)
    b.init_state(batch_size=2)
    sa, va = run(a, drive(I, (3,)))
    sb, vb = run(b, drive(I, (2, 3)))
    for row in range(2):
        np.testing.assert_array_equal(sb[:, row], sa)
        np.testing.assert_array_equal(vb[:, row], va)


def _spike_count(cls, kw, I):
    def count(scale):
        n = cls(2, **kw)
        n.init_state()
        spikes, _ = run(n, drive(I, (2,)) * scale)
        return spikes.sum()

    return count


@pytest.mark.parametrize("model", NEURONS, ids=IDS)
def test_jax_jit_and_vmap_over_input_amplitude(model):
    cls, kw, I = model[:3]
    count = _spike_count(cls, kw, I)
    scales = jnp.array([0.0, 0.5, 1.0, 2.0])
    batched = jax.vmap(count)(scales)
    one_by_one = jnp.stack([jax.jit(count)(s) for s in scales])
    np.testing.assert_array_equal(batched, one_by_one)
    assert batched[0] == 0 and batched[-1] > batched[-2] > 0


@pytest.mark.parametrize("model", NEURONS, ids=IDS)
def test_grad_through_200_steps_is_finite_and_nonzero(model, precision):
    cls, kw, I = model[:3]
    def loss(scale):
        n = cls(2, **kw)
        n.init_state()
        spikes, V = run(n, drive(I, (2,)) * scale)
        return spikes.sum() + 1e-3 * V.sum()

    g = jax.grad(loss)(jnp.asarray(1.0))
    assert bool(jnp.isfinite(g)) and float(g) != 0.0


@pytest.mark.parametrize("model", NEURONS, ids=IDS)
def test_reset_state_matches_init_state(model):
    cls, kw, I = model[:3]
    n = cls(3, **kw)
    n.init_state(batch_size=2)
    v0 = n.V.value
    for _ in range(2):  # NEST models apply a current one step after it arrives
        n.update(jnp.ones((2, 3)) * I)
    assert not bool(u.math.allclose(n.V.value, v0))
    n.reset_state(batch_size=2)
    assert bool(u.math.allclose(n.V.value, v0))


@pytest.mark.parametrize("model", NEURONS, ids=IDS)
def test_bad_unit_names_the_parameter(model):
    cls, kw, name = model.cls, model.kw, model.time_param
    with pytest.raises(u.UnitMismatchError, match=rf"`{name}`.*ms.*got 10\.? mV"):
        cls(3, **{**kw, name: 10.0 * u.mV})
    if not model.bare_numbers:
        with pytest.raises(TypeError, match=rf"`{name}`.*bare number.*u\.ms"):
            cls(3, **{**kw, name: 10.0})


@pytest.mark.parametrize("model", NEURONS, ids=IDS)
def test_nonpositive_time_constant_is_rejected(model):
    name = model.time_param
    for bad in (0.0, -5.0):
        with pytest.raises(ValueError, match=rf"`{name}` must .*0"):
            model.cls(3, **{**model.kw, name: bad * u.ms})


@pytest.mark.parametrize("model", NEURONS, ids=IDS)
def test_parameter_shape_must_broadcast(model):
    name = model.time_param
    with pytest.raises(ValueError, match=rf"`{name}`.*\(3,\).*\(2,\)"):
        model.cls(3, **{**model.kw, name: jnp.array([5.0, 6.0]) * u.ms})


@pytest.mark.parametrize("model", NEURONS, ids=IDS)
def test_input_with_wrong_unit_or_shape(model):
    cls, kw, I = model[:3]
    n = cls(3, **kw)
    n.init_state()
    with pytest.raises(u.UnitMismatchError, match="`x`"):
        n.update(1.0 * u.mV)
    with pytest.raises(ValueError, match=r"state shape \(3,\)"):
        n.update(jnp.ones((2, 3)) * I)


def test_models_are_exported():
    assert all(getattr(spikax, m.cls.__name__) is m.cls for m in NEURONS)
