"""f-I curve of a LIF population, simulated and compared with the closed form.

With a hard reset and a current held constant, the exponential-Euler step of
``spikax.LIF`` is the exact solution, so a neuron reset to ``V_reset`` reaches
``V_th`` after exactly ``ceil(tau * ln((R I - V_reset) / (R I - V_th)) / dt)`` steps.
The script simulates one neuron per current (a single population, one
``brainstate.transform.for_loop``), prints simulated and predicted rates side by side and,
with ``--plot FILE.png``, draws the curve.

    python examples/01_lif_fi_curve.py [--quick] [--plot fi.png]
"""

from __future__ import annotations

import argparse

import braintools
import brainstate
import jax.numpy as jnp
import numpy as np
import saiunit as u

import spikax


def simulate(currents_mA, tau=10.0, duration=1000.0, dt=0.1):
    """Spike counts of LIF neurons (R = 1 ohm, V_th = 1 mV, hard reset) under constant currents."""
    steps = int(round(duration / dt))
    n = len(currents_mA)
    with brainstate.environ.context(dt=dt * u.ms):
        lif = spikax.LIF(n, tau=tau * u.ms, spk_reset="hard",
                         V_initializer=braintools.init.Constant(0.0 * u.mV))
        lif.init_state()
        drive = jnp.asarray(currents_mA) * u.mA
        spikes = brainstate.transform.for_loop(lambda _: lif.update(drive), jnp.arange(steps))
    return np.asarray(spikes.sum(axis=0)), steps


def predicted_counts(currents_mA, steps, tau=10.0, dt=0.1):
    """Closed form: spikes at steps P-1, 2P-1, ... with the period P below (0 below rheobase)."""
    I = np.asarray(currents_mA, dtype=float)
    out = np.zeros(I.shape, int)
    above = I > 1.0
    period = np.ceil(tau * np.log(I[above] / (I[above] - 1.0)) / dt).astype(int)
    out[above] = steps // period
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few currents, 200 ms")
    parser.add_argument("--plot", default=None, help="save the f-I curve to this PNG")
    args = parser.parse_args(argv)
    currents = np.linspace(0.5, 5.0, 10 if args.quick else 46) + 1e-3  # avoid exact ties
    duration = 200.0 if args.quick else 1000.0
    counts, steps = simulate(currents, duration=duration)
    want = predicted_counts(currents, steps)
    print(f"{'I (mA)':>8}  {'simulated (Hz)':>14}  {'closed form (Hz)':>16}")
    for I, c, w in zip(currents, counts, want):
        print(f"{I:8.3f}  {c / duration * 1e3:14.1f}  {w / duration * 1e3:16.1f}")
    mismatches = int(np.sum(counts != want))
    print(f"currents whose spike count differs from the closed form: {mismatches}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(currents, want / duration * 1e3, "k-", label="closed form")
        ax.plot(currents, counts / duration * 1e3, "o", ms=4, label="spikax.LIF")
        ax.set(xlabel="I (mA)", ylabel="rate (Hz)", title="LIF f-I curve (tau = 10 ms)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"saved {args.plot}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
