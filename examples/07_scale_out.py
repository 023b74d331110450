"""Scale-out: one population split over several devices along the neuron axis.

``spikax.shard(model, devices)`` places the states on a ``jax.sharding`` mesh; the same
``spikax.simulate`` call then runs partitioned by XLA (each device updates its own neurons;
elementwise neuron updates need no communication). On a CPU-only machine the script asks
XLA for several *host* devices (``--host-devices 4``, set before JAX starts), which share
the cores: it demonstrates and checks the mechanism; on a multi-GPU or multi-host machine
(after ``jax.distributed.initialize()``) the same code uses the real devices.

The script runs a heterogeneous GLIF5 population (``glif_psc_double_alpha``) once on one
device and once sharded, checks that the spike rasters are identical and that the states
stayed sharded, and prints the throughput of both runs.

    python examples/07_scale_out.py [--host-devices 4] [--n 100000] [--quick] [--plot FILE.png]
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host-devices", type=int, default=4,
                        help="number of host CPU devices to ask XLA for (ignored on GPU/TPU)")
    parser.add_argument("--n", type=int, default=100_000, help="population size")
    parser.add_argument("--steps", type=int, default=2000, help="steps of 0.1 ms")
    parser.add_argument("--quick", action="store_true", help="N = 4000, 500 steps")
    parser.add_argument("--plot", default=None, help="save a raster coloured by device")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.steps = 4000, 500
    if "jax" not in sys.modules:  # must be set before JAX initialises its backends
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   f" --xla_force_host_platform_device_count="
                                   f"{args.host_devices}").strip()

    import brainstate
    import jax
    import jax.numpy as jnp
    import numpy as np
    import saiunit as u

    import spikax

    brainstate.environ.set(precision=32, dt=0.1 * u.ms)
    devices = jax.devices()
    d = len(devices)
    n = args.n - args.n % d  # the neuron axis must split evenly
    # 400-800 pA spread over the population: a range of rates
    drive = jnp.linspace(400.0, 800.0, n) * u.pA

    def build():
        pop = spikax.glif_psc_double_alpha(n, spike_dependent_threshold=True,
                                           after_spike_currents=True, adapting_threshold=True)
        pop.init_state()
        return pop

    def inputs(t):  # one function for every call: a new lambda per call would recompile
        return drive

    def timed(pop):
        res = spikax.simulate(pop, inputs, steps=args.steps, spikes="bool")
        # compile the call that writes into the previous result's memory, then time it
        res = spikax.simulate(pop, inputs, steps=args.steps, spikes="bool", out=res)
        jax.block_until_ready(res["spike"])
        t0 = time.perf_counter()
        res = spikax.simulate(pop, inputs, steps=args.steps, spikes="bool", out=res)
        jax.block_until_ready(res["spike"])
        return res, time.perf_counter() - t0

    single = build()
    ref, t_single = timed(single)
    pop = build()
    mesh = spikax.shard(pop, devices)
    res, t_sharded = timed(pop)

    v = pop.V.value.mantissa if hasattr(pop.V.value, "mantissa") else pop.V.value
    raster = np.asarray(res["spike"])
    same = np.array_equal(np.asarray(ref["spike"]), raster)
    print(f"devices: {d} ({devices[0].platform}); mesh {dict(mesh.shape)}; N = {n}, "
          f"T = {args.steps} steps")
    print(f"state V is split over {len(v.sharding.device_set)} devices "
          f"(spec {v.sharding.spec}); the raster over "
          f"{len(res['spike'].sharding.device_set)}")
    print(f"spikes: {int(raster.sum())}, identical to the single-device run: {same}")
    for name, sec in (("1 device", t_single), (f"{d} devices", t_sharded)):
        print(f"{name:>10}: {sec:.3f} s, {n * args.steps / sec:.3g} neuron-steps/s")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4))
        show = np.linspace(0, n - 1, min(n, 200)).astype(int)
        for k in range(d):
            part = show[(show >= k * n // d) & (show < (k + 1) * n // d)]
            steps_idx, cols = np.nonzero(raster[:, part])
            ax.scatter(steps_idx * 0.1, part[cols], s=1, label=f"device {k}")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("neuron")
        ax.set_title("GLIF5 population, sharded along the neuron axis")
        ax.legend(loc="upper right", markerscale=6)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
    ok = same and len(v.sharding.device_set) == d
    if not ok:
        print("FAILED: the sharded run differs from the single-device run", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
