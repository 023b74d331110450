"""A GLIF5 neuron from spikax against the same neuron simulated by NEST 3.10.

Replays the committed NEST trace ``tests/reference/nest_glif_step_glif5.npz`` (NEST's
default ``glif_psc_double_alpha`` parameters with all three mechanisms on, a 600 pA step
current on [50, 250) ms and one 800 pA synaptic spike at 20 ms; dt = 0.1 ms) with
``spikax.glif_psc_double_alpha`` in float64, prints the largest membrane-potential
difference and whether the spike trains are identical, and with ``--plot FILE.png`` draws
both traces and the difference. Exits with status 1 if the spikes differ or
max |dV| exceeds 1e-9 mV.

    python examples/02_glif5_vs_nest.py [--quick] [--plot glif5.png]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import brainstate
import jax.numpy as jnp
import numpy as np
import saiunit as u

import spikax

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "reference" / "nest_glif_step_glif5.npz"
TOLERANCE_MV = 1e-9


def load(path=REFERENCE):
    """The NEST trace and its ``meta`` (parameters, drive, dt)."""
    ref = np.load(path)
    return {k: ref[k] for k in ref.files if k != "meta"}, json.loads(str(ref["meta"]))


def simulate(meta, steps):
    """``steps`` updates of spikax's model with the run's parameters and drive.

    NEST's dc generator (delay dt) is ``x`` at the steps with ``on <= t < off``; a spike at
    ``t`` with delay ``d`` is a delta input registered before the update at ``t + d - dt``.
    Returns ``(spike_steps, V in mV, threshold in mV)``.
    """
    dt = meta["dt_ms"]
    x = np.zeros(steps)
    w = np.zeros(steps)
    for amp, on, off in meta["currents_pA_on_off"]:
        x[int(round(on / dt)):int(round(off / dt))] += amp
    for t, d, receptor, weight in meta["spikes_t_delay_receptor_w"]:
        k = int(round((t + d) / dt)) - 1
        if k < steps:
            assert receptor == 1
            w[k] += weight
    with brainstate.environ.context(dt=dt * u.ms):
        neuron = spikax.glif_psc_double_alpha(1, **meta["params"])  # NEST names and units
        neuron.init_state()

        def step(k, xk, wk):
            neuron.add_delta_input("spike_generator", wk * u.pA, label="receptor_0")
            with brainstate.environ.context(t=k * dt * u.ms):
                spike = neuron.update(xk * u.pA)
            return spike[0], neuron.V.value[0], neuron.threshold.value[0]

        spikes, V, threshold = brainstate.transform.for_loop(
            step, jnp.arange(steps), jnp.asarray(x), jnp.asarray(w))
    return (np.flatnonzero(np.asarray(spikes)), np.asarray(V.to_decimal(u.mV)),
            np.asarray(threshold.to_decimal(u.mV)))


def plot(path, t, ref, V, threshold, ref_spikes):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(2, 1, figsize=(8, 5), sharex=True,
                               gridspec_kw=dict(height_ratios=[3, 1]))
    a.plot(t, ref["V_m"], color="0.6", lw=3, label="NEST 3.10 V_m")
    a.plot(t, V, color="C0", lw=1, label="spikax V")
    a.plot(t, threshold, color="C3", lw=1, ls="--", label="spikax threshold")
    a.plot(t[ref_spikes], ref["threshold"][ref_spikes], "kv", ms=5, label="NEST spikes")
    a.set(ylabel="mV", title="glif_psc_double_alpha, GLIF5, NEST defaults")
    a.legend(loc="lower right", fontsize=8)
    b.semilogy(t, np.maximum(np.abs(V - ref["V_m"]), 1e-17), color="C0", lw=0.8)
    b.set(xlabel="time (ms)", ylabel="|dV| (mV)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="first 150 ms only")
    parser.add_argument("--plot", metavar="FILE.png", default=None,
                        help="save the traces and their difference to this PNG")
    args = parser.parse_args(argv)
    brainstate.environ.set(precision=64)  # after importing brainstate (0.5 resets it)
    ref, meta = load()
    steps = meta["steps"] // 2 if args.quick else meta["steps"]
    spikes, V, threshold = simulate(meta, steps)
    ref = {k: ref[k][:steps] for k in ("V_m", "threshold")} | {
        "spike_steps": ref["spike_steps"][ref["spike_steps"] < steps]}
    dV = float(np.max(np.abs(V - ref["V_m"])))
    dth = float(np.max(np.abs(threshold - ref["threshold"])))
    same = np.array_equal(spikes, ref["spike_steps"])
    print(f"NEST {meta['nest_version']} vs spikax, {steps} steps of {meta['dt_ms']} ms (float64)")
    print(f"spikes: spikax {len(spikes)}, NEST {len(ref['spike_steps'])}, identical: {same}")
    print(f"max |dV| = {dV:.3g} mV, max |d threshold| = {dth:.3g} mV "
          f"(tolerance {TOLERANCE_MV:g} mV)")
    if args.plot:
        t = (np.arange(steps) + 1) * meta["dt_ms"]
        plot(args.plot, t, ref, V, threshold, ref["spike_steps"])
        print(f"saved {args.plot}")
    return 0 if same and dV <= TOLERANCE_MV and dth <= TOLERANCE_MV else 1


if __name__ == "__main__":
    raise SystemExit(main())
