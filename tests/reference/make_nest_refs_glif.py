"""NEST 3.10 reference traces of ``glif_psc_double_alpha`` (run by hand, never in CI).

Run through ``make_nest_refs.py`` or on its own::

    /tmp/nest/bin/python tests/reference/make_nest_refs_glif.py

Each scenario simulates one neuron, records ``V_m``, ``threshold`` and (for the variants
that have them) ``threshold_spike`` / ``threshold_voltage`` every step, and the spike
times, and writes ``nest_glif_<scenario>.npz``. The ``meta`` field (JSON) holds everything
needed to rebuild the run: NEST version, resolution, the neuron's parameters as given to
NEST, the initial ``V_m``, the current generators ``[amplitude pA, on ms, off ms]`` (each
connected with delay = resolution) and the spikes ``[time ms, delay ms, receptor_type
(1-based), weight pA]``. The drive is deterministic (no seed).

Sample ``i`` (time ``(i + 1) * dt``) is NEST's state after update step ``i``; spikes are
stored as the index of the step that emitted them (stamp ``(i + 1) * dt``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GENERATOR = "tests/reference/make_nest_refs_glif.py"

VARIANTS = {  # spike_dependent_threshold, after_spike_currents, adapting_threshold
    "glif1": (False, False, False), "glif2": (True, False, False), "glif3": (False, True, False),
    "glif4": (True, True, False), "glif5": (True, True, True),
}


def _flags(variant):
    sdt, asc, at = VARIANTS[variant]
    return dict(spike_dependent_threshold=sdt, after_spike_currents=asc, adapting_threshold=at)


def scenarios():
    """name -> scenario dict (see the module docstring)."""
    out = {}
    # models.md section 9, first glif row: NEST defaults, step current and one PSC.
    for v in VARIANTS:
        out[f"step_{v}"] = dict(
            dt=0.1, T=300.0, params=_flags(v), V_m=None,
            currents=[[600.0, 50.0, 250.0]], spikes=[[20.0, 0.1, 1, 800.0]])
    # Two receptors: excitatory (1) and inhibitory (2) spikes, coincident across receptors,
    # repeated on one receptor, one longer delay, under a current just below rheobase.
    exc = [[5.0, 0.1, 1, 450.0], [12.0, 0.1, 1, 300.0], [12.0, 0.1, 1, 300.0],
           [20.0, 0.1, 1, 500.0], [20.5, 1.5, 1, 350.0], [35.0, 0.1, 1, 400.0],
           [35.0, 0.1, 1, 250.0], [48.0, 0.1, 1, 700.0], [61.0, 0.1, 1, 600.0],
           [61.3, 0.1, 1, 600.0]]
    inh = [[20.0, 0.1, 2, -600.0], [35.0, 0.1, 2, -300.0], [47.0, 0.1, 2, -400.0],
           [55.0, 0.1, 2, -800.0], [55.0, 0.1, 2, -800.0], [62.0, 0.4, 2, -500.0]]
    for v in VARIANTS:
        out[f"syn_{v}"] = dict(
            dt=0.1, T=80.0,
            params=dict(_flags(v), tau_syn_fast=[2.0, 1.0], tau_syn_slow=[6.0, 8.0],
                        amp_slow=[0.3, 0.6]),
            V_m=None, currents=[[240.0, 1.0, 80.0]], spikes=sorted(exc + inh))
    # tau_m = C_m / g = 10 ms equal to / near the synaptic time constants: receptor 1
    # fast == tau_m, slow 1e-9 above (NEST's singular P31); receptor 2 fast 2e-5 below
    # (singular P31 branch, h_min = 0.5 ms), slow 1e-3 above (regular branch).
    for v in VARIANTS:
        out[f"singular_{v}"] = dict(
            dt=0.1, T=150.0,
            params=dict(_flags(v), g=10.0, C_m=100.0, tau_syn_fast=[10.0, 10.0 - 2e-5],
                        tau_syn_slow=[10.0 + 1e-9, 10.0 + 1e-3], amp_slow=[0.3, 0.5]),
            V_m=None, currents=[[600.0, 30.0, 130.0]],
            spikes=[[10.0, 0.1, 1, 3000.0], [10.0, 0.1, 2, 1500.0], [80.0, 0.1, 2, 3000.0],
                    [100.0, 0.1, 1, -2000.0]])
    # A second resolution.
    out["dt005_glif5"] = dict(
        dt=0.05, T=100.0, params=_flags("glif5"), V_m=None,
        currents=[[600.0, 25.0, 90.0]], spikes=[[10.0, 0.05, 1, 800.0]])
    # Refractory rounding: 1.11 ms at 0.01 ms is 111 steps in NEST (a float ceil gives 112).
    out["refractory_glif1"] = dict(
        dt=0.01, T=10.0, params=dict(_flags("glif1"), t_ref=1.11), V_m=None,
        currents=[[1e5, 1.0, 10.0]], spikes=[])
    # models.md section 9, multi-receptor row.
    out["multi_glif5"] = dict(
        dt=0.1, T=200.0,
        params=dict(_flags("glif5"), tau_syn_fast=[2.0, 2.0, 1.0], tau_syn_slow=[2.0, 4.0, 8.0],
                    amp_slow=[1.0, 0.5, 0.2]),
        V_m=-70.0, currents=[[150.0, 20.0, 120.0]],
        spikes=[[10.0, 1.0, 1, 500.0], [30.0, 2.5, 2, -300.0], [30.0, 1.0, 3, 900.0],
                [60.0, 0.5, 2, 1500.0], [60.3, 0.7, 1, 1200.0]])
    return out


def run(sc):
    """Simulate one scenario in NEST; returns the arrays to store."""
    import nest

    nest.ResetKernel()
    nest.set(resolution=sc["dt"], print_time=False)
    dt, T = sc["dt"], sc["T"]
    neuron = nest.Create("glif_psc_double_alpha", params=sc["params"])
    if sc["V_m"] is not None:
        neuron.set(V_m=sc["V_m"])
    for amp, on, off in sc["currents"]:
        gen = nest.Create("dc_generator", params=dict(amplitude=amp, start=on, stop=off))
        nest.Connect(gen, neuron, syn_spec=dict(delay=dt))
    groups = {}
    for t, d, r, w in sc["spikes"]:
        groups.setdefault((d, r), []).append((t, w))
    for (d, r), spikes in sorted(groups.items()):
        times, weights = zip(*sorted(spikes))
        gen = nest.Create("spike_generator", params=dict(spike_times=list(times),
                                                         spike_weights=list(weights)))
        nest.Connect(gen, neuron, syn_spec=dict(delay=d, receptor_type=r))
    sdt, asc, at = (sc["params"][k] for k in ("spike_dependent_threshold",
                                              "after_spike_currents", "adapting_threshold"))
    record = ["V_m", "threshold"] + ["threshold_spike"] * sdt + ["threshold_voltage"] * at
    mm = nest.Create("multimeter", params=dict(record_from=record, interval=dt))
    nest.Connect(mm, neuron)
    sr = nest.Create("spike_recorder")
    nest.Connect(neuron, sr)
    nest.Simulate(T + dt)  # the multimeter's last sample is one step before the end
    ev = mm.events
    steps = int(round(T / dt))
    idx = np.rint(np.asarray(ev["times"]) / dt).astype(int) - 1
    assert np.array_equal(idx[:steps], np.arange(steps)), "unexpected multimeter times"
    out = {k: np.asarray(ev[k], dtype=np.float64)[:steps] for k in record}
    spike_t = np.asarray(sr.events["times"])
    out["spike_steps"] = (np.rint(spike_t / dt).astype(np.int64) - 1)
    out["spike_steps"] = out["spike_steps"][out["spike_steps"] < steps]
    return out, record


def main():
    import nest

    nest.set_verbosity("M_ERROR")
    total = 0
    for name, sc in scenarios().items():
        arrays, record = run(sc)
        meta = dict(generator=GENERATOR, nest_version=nest.__version__,
                    model="glif_psc_double_alpha",
                    dt_ms=sc["dt"], T_ms=sc["T"], steps=int(round(sc["T"] / sc["dt"])),
                    params=sc["params"], V_m0_mV=sc["V_m"], currents_pA_on_off=sc["currents"],
                    spikes_t_delay_receptor_w=sc["spikes"], recorded=record, seed=None,
                    note="sample i = state after update step i (time (i+1)*dt); "
                         "spike_steps = emitting step index")
        path = HERE / f"nest_glif_{name}.npz"
        np.savez_compressed(path, meta=json.dumps(meta), **arrays)
        total += path.stat().st_size
        print(f"{path.name}: {len(arrays['spike_steps'])} spikes, {path.stat().st_size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
