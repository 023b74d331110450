"""NEST 3.10 reference traces for ``spikax.iaf_psc_alpha`` (run by hand, never in CI).

Run through ``make_nest_refs.py`` beside this file, or directly::

    /tmp/envs/bp312/bin/python tests/reference/make_nest_refs_iaf.py

Each scenario simulates ``iaf_psc_alpha`` neurons in NEST, records ``V_m`` with a multimeter
(interval = resolution) and the spikes with a spike_recorder, and writes
``nest_iaf_<scenario>.npz`` with

* ``V_m`` (T, N) [mV]: the multimeter sample at ``(k + 1) h``, i.e. the state after update ``k``;
* ``spikes`` (M, 2) int: ``(k, neuron)`` for a spike stamped ``(k + 1) h`` (update ``k``);
* ``x`` (T, N) [pA]: the ``x`` to pass to ``update`` number ``k`` (the current that arrives in
  step ``k``; the model buffers it and applies it in step ``k + 1``);
* ``events`` (E, 3): ``(k, neuron, weight [pA])``, one row per delivered spike, to be registered
  as a delta input before update ``k``;
* ``meta``: JSON with the NEST version, ``dt``, the NEST parameters of every neuron, the raw
  generator settings and the mapping rules below.

Mapping from NEST devices to per-step inputs (checked against NEST by the replay test):

* a current generator connected with delay ``d`` whose output is ``I(t)`` gives
  ``x_k = I(t_k - d + h)`` for ``k >= d / h`` (a device emits from step 0 on, so nothing can
  arrive before step ``d / h``), with ``dc_generator`` on for ``start <= t < stop`` and
  ``step_current_generator`` piecewise constant from each of its ``amplitude_times``;
* a ``spike_generator`` spike at ``t_s`` with delay ``d`` and weight ``w`` is a delta input ``w``
  before update ``k`` with ``t_k = t_s + d - h`` (repeated times are repeated events).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MODEL = "iaf_psc_alpha"

# NEST defaults of iaf_psc_alpha 3.10 (checked against GetDefaults in main()).
DEFAULTS = dict(C_m=250.0, tau_m=10.0, t_ref=2.0, E_L=-70.0, V_reset=-70.0, V_th=-55.0,
                V_min=-np.inf, I_e=0.0, tau_syn_ex=2.0, tau_syn_in=2.0)


def _neurons(n, **columns):
    """``n`` parameter dicts: defaults, overridden per column (scalar or list of ``n``)."""
    out = []
    for i in range(n):
        p = dict(DEFAULTS)
        for k, v in columns.items():
            p[k] = v[i] if isinstance(v, list | tuple) else v
        p.setdefault("V_m", p["E_L"])  # NEST's own default stays -70 mV when E_L changes
        out.append(p)
    return out


SCENARIOS = {
    "ie": dict(
        about="constant I_e drive (600 pA and 380 pA, just above the 375 pA rheobase)",
        dt=0.1, T=150.0, neurons=_neurons(2, I_e=[600.0, 380.0])),
    "step_current": dict(
        about="dc_generator 500 pA on [10, 60) ms (delay h), step_current_generator "
              "300 / -200 / 800 pA from 20 / 40 / 70 ms (delay 1 ms), dc_generator 50 pA from 0",
        dt=0.1, T=100.0, neurons=_neurons(1),
        currents=[dict(model="dc_generator", params=dict(amplitude=500.0, start=10.0, stop=60.0),
                       delay=0.1, targets=[0]),
                  dict(model="step_current_generator",
                       params=dict(amplitude_times=[20.0, 40.0, 70.0],
                                   amplitude_values=[300.0, -200.0, 800.0]),
                       delay=1.0, targets=[0]),
                  dict(model="dc_generator", params=dict(amplitude=50.0, start=0.0),
                       delay=0.1, targets=[0])]),
    "spikes": dict(
        about="excitatory and inhibitory spike_generators (tau_syn_ex 2, tau_syn_in 5 ms): "
              "repeated and coincident spikes, an excitatory and an inhibitory spike arriving in "
              "the same step, several delays; I_e 300 pA",
        dt=0.1, T=100.0, neurons=_neurons(2, tau_syn_in=5.0, I_e=[300.0, 250.0]),
        spikes=[dict(times=[5.0, 5.0, 12.0, 12.5, 30.0, 30.1, 30.2, 50.0], weight=400.0,
                     delay=1.0, targets=[0, 1]),
                dict(times=[5.9, 20.0, 40.0], weight=250.0, delay=0.1, targets=[0]),
                dict(times=[13.0, 35.0, 60.0, 60.0, 75.0], weight=-600.0, delay=0.5,
                     targets=[0])]),
    "tau_singular": dict(
        about="tau_syn_ex and tau_syn_in equal to tau_m = 10 ms, and 1e-9 / 1e-4 ms away "
              "(NEST's P31 switch lies right at 1e-4 for h = 0.1); spikes plus I_e 250 pA",
        dt=0.1, T=100.0,
        neurons=_neurons(5, tau_syn_ex=[10.0, 10.0 + 1e-9, 10.0 - 1e-9, 10.0 + 1e-4, 10.0 - 1e-4],
                         tau_syn_in=[10.0, 10.0 - 1e-4, 10.0 + 1e-9, 10.0 + 1e-4, 2.0],
                         I_e=250.0),
        spikes=[dict(times=[5.0, 25.0, 26.0, 60.0], weight=300.0, delay=0.1,
                     targets=[0, 1, 2, 3, 4]),
                dict(times=[40.0, 70.0], weight=-500.0, delay=0.1, targets=[0, 1, 2, 3, 4])]),
    "refractory": dict(
        about="t_ref 2.0 (a multiple of h), 2.05, 1.11 and 0 ms under I_e 2000 pA",
        dt=0.1, T=60.0, neurons=_neurons(4, t_ref=[2.0, 2.05, 1.11, 0.0], I_e=2000.0)),
    "vmin": dict(
        about="V_min = -72 mV clamp (neuron 0) vs unbounded (neuron 1) under strong inhibitory "
              "spikes, I_e 450 pA",
        dt=0.1, T=80.0, neurons=_neurons(2, V_min=[-72.0, -np.inf], I_e=450.0),
        spikes=[dict(times=[5.0, 30.0, 31.0], weight=-2000.0, delay=0.1, targets=[0, 1])]),
    "dt005": dict(
        about="resolution 0.05 ms: t_ref 2.0 and 1.11 ms, I_e 300 pA, dc_generator 200 pA on "
              "[10, 60) ms (delay h), excitatory spikes (delay 0.5 ms)",
        dt=0.05, T=100.0, neurons=_neurons(2, t_ref=[2.0, 1.11], I_e=300.0),
        currents=[dict(model="dc_generator", params=dict(amplitude=200.0, start=10.0, stop=60.0),
                       delay=0.05, targets=[0, 1])],
        spikes=[dict(times=[3.0, 3.05, 45.0, 80.0], weight=500.0, delay=0.5, targets=[0, 1])]),
    "hetero": dict(
        about="four neurons with different C_m, tau_m, E_L, V_th, V_reset, V_m(0), t_ref, "
              "tau_syn_ex/in, I_e, V_min in one run; dc_generator and spikes",
        dt=0.1, T=100.0,
        neurons=_neurons(4, C_m=[250.0, 100.0, 400.0, 180.0], tau_m=[10.0, 5.0, 20.0, 12.0],
                         E_L=[-70.0, -65.0, -75.0, -60.0], V_th=[-55.0, -50.0, -60.0, -48.0],
                         V_reset=[-70.0, -68.0, -80.0, -62.0], V_m=[-70.0, -60.0, -77.0, -55.0],
                         t_ref=[2.0, 1.0, 3.3, 0.5], tau_syn_ex=[2.0, 1.0, 5.0, 12.0],
                         tau_syn_in=[2.0, 3.0, 8.0, 0.7], I_e=[380.0, 250.0, 120.0, 0.0],
                         V_min=[-np.inf, -70.0, -np.inf, -65.0]),
        currents=[dict(model="dc_generator", params=dict(amplitude=150.0, start=20.0, stop=70.0),
                       delay=0.1, targets=[0, 1, 2, 3])],
        spikes=[dict(times=[10.0, 10.0, 50.0], weight=350.0, delay=0.3, targets=[0, 1, 2, 3]),
                dict(times=[30.0, 80.0], weight=-450.0, delay=0.1, targets=[0, 1, 2, 3])]),
}


def _current_trace(spec, t_k):
    """The generator's output ``I(t)`` sampled at ``t``."""
    p = spec["params"]
    if spec["model"] == "dc_generator":
        on = (t_k >= p.get("start", 0.0)) & (t_k < p.get("stop", np.inf))
        return np.where(on, p["amplitude"], 0.0)
    if spec["model"] == "step_current_generator":
        out = np.zeros_like(t_k)
        for t_i, a_i in zip(p["amplitude_times"], p["amplitude_values"]):
            out = np.where(t_k >= t_i, a_i, out)
        return out
    raise ValueError(spec["model"])


def drive(sc, steps):
    """Per-step ``x`` (steps, N) and spike ``events`` (E, 3) from the NEST device settings."""
    h, n = sc["dt"], len(sc["neurons"])
    k = np.arange(steps)
    x = np.zeros((steps, n))
    for spec in sc.get("currents", []):
        d = int(round(spec["delay"] / h))
        I = _current_trace(spec, np.round((k - d + 1) * h, 10))
        I = np.where(k >= d, I, 0.0)
        x[:, spec["targets"]] += spec.get("weight", 1.0) * I[:, None]
    events = []
    for spec in sc.get("spikes", []):
        for ts in spec["times"]:
            step = int(round((ts + spec["delay"]) / h)) - 1
            if step < steps:
                events += [(step, j, spec["weight"]) for j in spec["targets"]]
    events = np.array(sorted(events), dtype=np.float64).reshape(-1, 3)
    return x, events


def simulate(sc):
    import nest

    nest.ResetKernel()
    nest.resolution = sc["dt"]
    params = sc["neurons"]
    pop = nest.Create(MODEL, len(params))
    for i, p in enumerate(params):
        pop[i].set(p)  # E_L and V_m in one call: NEST keeps V_m as given
    V0 = [float(v) for v in np.atleast_1d(pop.get("V_m"))]
    for spec in sc.get("currents", []):
        gen = nest.Create(spec["model"], params=spec["params"])
        nest.Connect(gen, pop[spec["targets"]],
                     syn_spec=dict(delay=spec["delay"], weight=spec.get("weight", 1.0)))
    for spec in sc.get("spikes", []):
        gen = nest.Create("spike_generator", params=dict(spike_times=spec["times"]))
        nest.Connect(gen, pop[spec["targets"]],
                     syn_spec=dict(delay=spec["delay"], weight=spec["weight"]))
    mm = nest.Create("multimeter", params=dict(record_from=["V_m"], interval=sc["dt"]))
    nest.Connect(mm, pop)
    sr = nest.Create("spike_recorder")
    nest.Connect(pop, sr)
    nest.Simulate(sc["T"])

    ev = mm.get("events")
    steps = int(round(np.max(ev["times"]) / sc["dt"]))
    V = np.full((steps, len(params)), np.nan)
    rows = np.round(ev["times"] / sc["dt"]).astype(int) - 1
    cols = np.asarray(ev["senders"]) - pop[0].global_id
    V[rows, cols] = ev["V_m"]
    assert not np.isnan(V).any()
    sp = sr.get("events")
    k = np.round(np.asarray(sp["times"]) / sc["dt"]).astype(int) - 1
    j = np.asarray(sp["senders"]) - pop[0].global_id
    spikes = np.array(sorted(zip(k.tolist(), j.tolist())), dtype=np.int64).reshape(-1, 2)
    spikes = spikes[spikes[:, 0] < steps]
    return V, V0, spikes, steps


def _jsonable(p):
    return {k: (None if v == -np.inf else v) for k, v in p.items()}


def main():
    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    got = nest.GetDefaults(MODEL)
    for k, v in DEFAULTS.items():
        assert got[k] == v, (k, got[k], v)
    total = 0
    for name, sc in SCENARIOS.items():
        V, V0, spikes, steps = simulate(sc)
        x, events = drive(sc, steps)
        meta = dict(
            generator="tests/reference/make_nest_refs_iaf.py", reference=f"NEST {MODEL}",
            nest_version=nest.__version__, dt_ms=sc["dt"], duration_ms=sc["T"], steps=steps,
            about=sc["about"], neurons=[_jsonable(p) for p in sc["neurons"]], V0_mV=V0,
            currents=sc.get("currents", []), spikes=sc.get("spikes", []), seed=None,
            units=dict(V_m="mV", x="pA", weight="pA", time="ms", C_m="pF"),
            note="V_min null means -inf; V_m[k] and spikes (k, neuron) belong to update k "
                 "(NEST stamp (k + 1) h); x[k] and events at k are the inputs of update k",
        )
        path = HERE / f"nest_iaf_{name}.npz"
        np.savez_compressed(path, V_m=V, spikes=spikes, x=x, events=events,
                            meta=np.array(json.dumps(meta)))
        total += path.stat().st_size
        print(f"{path.name}: {steps} steps x {V.shape[1]} neurons, {len(spikes)} spikes, "
              f"{len(events)} events, {path.stat().st_size / 1024:.1f} kB")
    print(f"total {total / 1024:.1f} kB")


if __name__ == "__main__":
    main()
