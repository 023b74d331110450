"""Replay a brainpy.state reference file (tests/reference/make_brainpy_refs.py) with spikax."""

import json

import braintools
import brainstate
import jax.numpy as jnp
import numpy as np
import saiunit as u

UNITS = {"mV": u.mV, "ms": u.ms, "ohm": u.ohm, "mA": u.mA, "S": u.siemens, "1/ms": 1 / u.ms,
         "1": 1.0}
STATE_UNITS = {"V": u.mV, "w": u.mA, "I1": u.mA, "I2": u.mA, "V_th": u.mV,
               "last_spike_time": u.ms, "refractory": None}


def quantity(spec):
    value, unit = spec
    return jnp.asarray(value) * UNITS[unit]


def replay(path, cls):
    """Rebuild the run of ``path`` from its ``meta`` with ``cls``.

    Returns ``(ref, meta, spikes, trace)``.

    ``trace`` maps every state stored in the file to its spikax values after each step, in the
    file's units; step ``k`` runs at ``t = k * dt * u.ms`` with ``k`` for_loop's integer index,
    exactly as the generator formed it.
    """
    ref = np.load(path)
    meta = json.loads(str(ref["meta"]))
    kw = {k: quantity(v) for k, v in meta["params"].items()}
    kw.update({f"{k}_initializer": braintools.init.Constant(quantity(v))
               for k, v in meta["init"].items()})
    if meta["ref_var"] is not None:
        kw["ref_var"] = meta["ref_var"]
    n = cls(meta["n"], spk_reset=meta["spk_reset"], **kw)
    n.init_state(batch_size=meta["batch"])
    if meta["conductance"]:
        g = meta["conductance"]["g_S"] * u.siemens
        E = meta["conductance"]["E_mV"] * u.mV
        n.add_current_input("conductance", lambda v: g * (E - v))
    kicks = bool(np.any(ref["delta"]))
    names = [k for k in STATE_UNITS if k in ref.files]
    dt = meta["dt_ms"]

    def step(k, x, d):
        if kicks:
            n.add_delta_input("kick", d * u.mV)
        with brainstate.environ.context(t=k * dt * u.ms):
            spike = n.update(x * u.mA)
        return spike, {key: getattr(n, key).value if STATE_UNITS[key] is None else
                       getattr(n, key).value.to_decimal(STATE_UNITS[key]) for key in names}

    with brainstate.environ.context(dt=dt * u.ms):
        spikes, trace = brainstate.transform.for_loop(
            step, jnp.arange(ref["x"].shape[0]), jnp.asarray(ref["x"]), jnp.asarray(ref["delta"]))
    return ref, meta, np.asarray(spikes), {k: np.asarray(v) for k, v in trace.items()}


def max_errors(ref, trace):
    """Largest absolute difference per continuous state (booleans and times are compared
    exactly by the tests)."""
    return {k: float(np.max(np.abs(trace[k] - ref[k]))) for k in trace
            if k not in ("refractory", "last_spike_time")}
