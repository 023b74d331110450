"""Run by tests/test_sharding.py in a subprocess with 4 host CPU devices: sharded and
single-device simulations of the same populations; prints one JSON line per model."""

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

N, T = 64, 300
assert len(jax.devices()) == 4, jax.devices()


def build(spec):
    model = spec.cls(N, **spec.kw)
    model.init_state()
    return model


def inputs(spec):
    ramp = jnp.linspace(0.5, 1.5, N)  # heterogeneous drive: different neurons fire differently
    amp = u.get_mantissa(spec.current)
    return ramp[None, :] * jnp.ones((T, 1)) * amp * u.get_unit(spec.current)


out = []
for spec in NEURONS:
    xs = inputs(spec)
    single = build(spec)
    ref = spikax.simulate(single, xs, record=("spike", "V"), spikes="bool")
    model = build(spec)
    mesh = spikax.shard(model, devices=4)
    res = spikax.simulate(model, xs, record=("spike", "V"), spikes="bool")
    res2 = spikax.simulate(model, xs, record=("spike", "V"), spikes="bool", out=res)
    v_state = u.get_mantissa(model.V.value)
    rec = u.get_mantissa(res2["V"])
    out.append(dict(
        model=spec.cls.__name__ + str(spec.kw.get("spike_dependent_threshold", "")),
        spikes=int(np.sum(np.asarray(ref["spike"]))),
        same_spikes=bool(np.array_equal(np.asarray(ref["spike"]), np.asarray(res2["spike"]))),
        max_dv=float(np.max(np.abs(np.asarray(u.get_mantissa(ref["V"])) - np.asarray(rec)))),
        state_devices=len(v_state.sharding.device_set),
        state_spec=str(v_state.sharding.spec),
        record_devices=len(rec.sharding.device_set),
        mesh=list(mesh.shape.items())))
print(json.dumps(out))
