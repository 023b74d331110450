"""Run by tests/test_sharding.py in a subprocess with 4 host CPU devices: sharded and
single-device simulations of the same populations. Prints one JSON line: a record per
model, and the error for a population that 4 devices cannot split.

Each sharded population runs one loop per device (``jax.shard_map``), which the records
below confirm from simulate's compile cache, in three set-ups: per-step array inputs with a
raster and a state recorded (then again into the donated buffers), a per-neuron constant
callable input with spike counts and tiles inside each device's slice, and a batched
population.
"""

import json
import sys

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import saiunit as u

brainstate.environ.set(precision=int(sys.argv[1]), dt=0.1 * u.ms)

from registry import NEURONS  # noqa: E402

import spikax  # noqa: E402
from spikax import _simulate  # noqa: E402
from spikax._sharding import SplitPlan  # noqa: E402

N, T, B = 64, 300, 2
assert len(jax.devices()) == 4, jax.devices()


def build(spec, batch=None):
    model = spec.cls(N, **spec.kw)
    model.init_state(batch)
    return model


def drive(spec):
    ramp = jnp.linspace(0.5, 1.5, N)  # heterogeneous drive: different neurons fire differently
    return ramp * u.get_mantissa(spec.current) * u.get_unit(spec.current)


def rel_diff(a, b):
    """max |a - b| over max |a| (0 when equal)."""
    a, b = np.asarray(u.get_mantissa(a)), np.asarray(u.get_mantissa(b))
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-30))


def splits(model):
    return [cfg[-1] for cfg, *_ in _simulate._CACHE.get(model, {})
            if isinstance(cfg[-1], SplitPlan)]


out = []
for spec in NEURONS:
    name = spec.cls.__name__ + str(spec.kw.get("spike_dependent_threshold", ""))
    amp = drive(spec)
    xs = amp[None, :] * jnp.ones((T, 1))
    single = build(spec)
    ref = spikax.simulate(single, xs, record=("spike", "V"), spikes="bool")
    model = build(spec)
    mesh = spikax.shard(model, devices=4)
    res = spikax.simulate(model, xs, record=("spike", "V"), spikes="bool")
    res2 = spikax.simulate(model, xs, record=("spike", "V"), spikes="bool", out=res)
    v_state = u.get_mantissa(model.V.value)
    rec = u.get_mantissa(res2["V"])
    specs = {"/".join(map(str, k)): list(u.get_mantissa(s.value).sharding.spec)
             for k, s in model.states().items() if np.ndim(u.get_mantissa(s.value))}

    # a per-neuron constant callable, spike counts, tiles of 8 inside each 16-neuron slice
    single_c = build(spec)
    ref_c = spikax.simulate(single_c, lambda t, amp=amp: amp, steps=T, tile=None)
    model_c = build(spec)
    spikax.shard(model_c, devices=4)
    res_c = spikax.simulate(model_c, lambda t, amp=amp: amp, steps=T, tile=8)
    tiled = splits(model_c)
    plans = [cfg[-2] for cfg, *_ in _simulate._CACHE.get(model_c, {})]

    # a batched population (batch 2, the second trial at 90 % of the drive)
    xb = u.math.stack([amp, 0.9 * amp])[None] * jnp.ones((T, 1, 1))
    single_b = build(spec, B)
    ref_b = spikax.simulate(single_b, xb, record=("spike", "V"), spikes="bool")
    model_b = build(spec, B)
    spikax.shard(model_b, devices=4)
    res_b = spikax.simulate(model_b, xb, record=("spike", "V"), spikes="bool")

    out.append(dict(
        model=name,
        spikes=int(np.sum(np.asarray(ref["spike"]))),
        same_spikes=bool(np.array_equal(np.asarray(ref["spike"]), np.asarray(res2["spike"]))),
        rel_dv=rel_diff(ref["V"], rec),
        rel_dstate=max(rel_diff(single.states()[k].value, s.value)
                       for k, s in model.states().items()),
        state_devices=len(v_state.sharding.device_set),
        state_spec=str(v_state.sharding.spec), specs=specs,
        record_devices=len(rec.sharding.device_set),
        mesh=list(mesh.shape.items()),
        split=len(splits(model)) > 0,
        counts=int(np.sum(np.asarray(ref_c["spike"]))),
        same_counts=bool(np.array_equal(np.asarray(ref_c["spike"]),
                                        np.asarray(res_c["spike"]))),
        counts_devices=len(res_c["spike"].sharding.device_set),
        split_tiled=len(tiled) > 0 and any(p is not None and p.tile == 8 and p.n == 16
                                           for p in plans),
        batch_spikes=int(np.sum(np.asarray(ref_b["spike"]))),
        batch_same_spikes=bool(np.array_equal(np.asarray(ref_b["spike"]),
                                              np.asarray(res_b["spike"]))),
        batch_rel_dv=rel_diff(ref_b["V"], res_b["V"]),
        batch_split=len(splits(model_b)) > 0,
        batch_state_spec=list(u.get_mantissa(model_b.V.value).sharding.spec)))
# a population that 4 devices cannot split evenly: the error names the neuron axis sizes
glif = spikax.glif_psc_double_alpha(6, after_spike_currents=True)
glif.init_state()
try:
    spikax.shard(glif, devices=4)
    indivisible = None
except ValueError as err:
    indivisible = str(err)
print(json.dumps(dict(models=out, indivisible=indivisible)))
