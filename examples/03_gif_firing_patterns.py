"""The 20 firing patterns of the generalized integrate-and-fire model (Mihalas & Niebur 2009).

Every row of the paper's Table 1 (``spikax.neurons.GIF_PATTERNS``: parameters in brainpy's
units and the step-current stimulus of each panel of their Fig. 1) runs as one neuron of a
single ``spikax.GIF`` population, in one ``brainstate.transform.for_loop``. The script prints
each pattern's spike count and first spike times next to the behaviour it should show and,
with ``--plot FILE.png``, draws all 20 panels in one figure (V in black, the threshold theta
dashed, spikes as ticks, the stimulus in grey). Without ``--quick`` it also reruns the table
with the exact integrator (``method='exact'``) and reports which patterns keep their spike
counts: the repertoire does not hinge on brainpy's first-order scheme.

    python examples/03_gif_firing_patterns.py [--quick] [--plot patterns.png]
"""

from __future__ import annotations

import argparse
import time

import brainstate

from spikax.neurons import GIF_PATTERNS, simulate_gif_patterns


def report(results, method):
    print(f"\n{'panel':5}  {'pattern':36}  {'spikes':>6}  first spike times (ms)   [{method}]")
    for name, r in results.items():
        t = r["t"][r["spike"]]
        first = ", ".join(f"{x:.1f}" for x in t[:5]) + (" ..." if len(t) > 5 else "")
        print(f"{GIF_PATTERNS[name].panel:5}  {name:36}  {len(t):6d}  {first}")


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(5, 4, figsize=(16, 15))
    for ax, (name, r) in zip(axes.ravel(), results.items()):
        pat = GIF_PATTERNS[name]
        t = r["t"]
        ax.plot(t, r["V"], "k", lw=0.9)
        ax.plot(t, r["V_th"], "r--", lw=0.9)
        spikes = t[r["spike"]]
        ax.vlines(spikes, r["V_th"][r["spike"]], -20.0, color="k", lw=0.9)
        ax.set_ylim(min(-100.0, r["V"].min() - 5.0), -15.0)
        ax.set_xlim(t[0], t[-1])
        ax.set_title(f"{pat.panel} {pat.title} ({len(spikes)} spikes)", fontsize=9)
        stim = ax.twinx()
        stim.plot(t, r["I"], color="0.6", lw=0.8)
        lo, hi = min(r["I"].min(), 0.0), max(r["I"].max(), 0.0)
        stim.set_ylim(lo - 3.0 * (hi - lo + 0.1), hi + 0.5)  # stimulus in the lower part
        stim.tick_params(labelsize=7, colors="0.5")
        ax.tick_params(labelsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("time (ms)", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("V, theta (mV)", fontsize=8)
    fig.suptitle("spikax.GIF: the firing patterns of Mihalas & Niebur (2009), Fig. 1 / Table 1 "
                 "(grey: stimulus in mA, right axis)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="only brainpy's integrator (skip the 'exact' rerun)")
    parser.add_argument("--plot", metavar="FILE.png", default=None,
                        help="save the 20 panels to this image (needs matplotlib)")
    args = parser.parse_args(argv)
    brainstate.environ.set(precision=64)

    t0 = time.perf_counter()
    results = simulate_gif_patterns(method="exp_auto")
    print(f"simulated {len(results)} patterns in {time.perf_counter() - t0:.2f} s "
          "(one population, dt = 0.1 ms)")
    report(results, "exp_auto")
    for name, pat in GIF_PATTERNS.items():
        print(f"  {pat.panel} {pat.title}: {pat.behaviour}")
    status = 0 if all(r["spike"].any() for r in results.values()) else 1
    if not args.quick:
        exact = simulate_gif_patterns(method="exact")
        report(exact, "exact")
        same = [k for k in results if results[k]["spike"].sum() == exact[k]["spike"].sum()]
        print(f"\nsame spike count with method='exact': {len(same)} of {len(results)}")
    if args.plot:
        plot(results, args.plot)
        print(f"saved {args.plot}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
