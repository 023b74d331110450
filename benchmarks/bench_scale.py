"""W6: scale-out. One population sharded over 1, 2, 4 devices along the neuron axis.

Each device count runs in its own process with ``XLA_FLAGS=--xla_force_host_platform_device_count=D``
(on a CPU host the "devices" share the machine's cores: with D up to the number of cores,
each device's loop gets a core of its own; on a multi-GPU host pass ``--real`` to use the
real devices). The population is built, ``spikax.shard(model, devices=D)``-ed, and run with
``spikax.simulate`` (spike counts, and a bool raster written into the donated buffer of the
previous call); timing as in W1 (compile apart, warm-up, median of repeats).

    python benchmarks/bench_scale.py [--model LIF[,AdExIFRef,...]] [--n 1e6] [--steps 1000]
                                     [--devices 1,2,4] [--quick]

A population of one spikax model runs one loop per device on its slice (``jax.shard_map``,
no communication).

Prints one JSON record per measurement and a Markdown table (throughput relative to 1 device).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys


def worker(model, n, steps, devices, repeats):
    """Runs inside the child process: measure and print one JSON record per output mode."""
    import brainstate
    import jax.numpy as jnp
    import saiunit as u

    import spikax

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_w1 import MODELS, drive_for, simulate_runner, time_calls

    brainstate.environ.set(precision=32, dt=0.1 * u.ms)
    kwargs, current = MODELS[model]
    for mode in ("counts", "bool"):
        neuron = getattr(spikax, model)(n, **kwargs)
        neuron.init_state()
        spikax.shard(neuron, devices=devices)
        run = simulate_runner(neuron, drive_for(current, n), steps, mode)
        first, times, out = time_calls(run, repeats)
        med = statistics.median(times)
        leaf = u.get_mantissa(neuron.V.value)
        print(json.dumps(dict(
            workload="W6", model=model, n=n, steps=steps, devices=devices,
            output="counts" if mode == "counts" else "raster_bool",
            state_devices=len(leaf.sharding.device_set), compile_s=max(first - med, 0.0),
            median_s=med, min_s=min(times), max_s=max(times),
            neuron_steps_per_s=n * steps / med,
            spikes=int(jnp.sum(out, dtype=jnp.int32)))))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="LIF", help="one model or several, comma-separated")
    p.add_argument("--n", default="1e6")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--devices", default="1,2,4")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--real", action="store_true", help="use the real devices (no host split)")
    p.add_argument("--quick", action="store_true", help="N = 4096, 100 steps, 1 and 2 devices")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    n, steps = int(float(args.n)), args.steps
    counts = [int(d) for d in args.devices.split(",")]
    repeats = args.repeats
    if args.quick:
        n, steps, counts, repeats = 4096, 100, [1, 2], 2
    if args.worker:
        worker(args.model, n, steps, counts[0], repeats)
        return []
    rows = []
    for model in args.model.split(","):
        for d in counts:
            env = dict(os.environ)
            if not args.real:
                env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                                    f" --xla_force_host_platform_device_count={d}").strip()
                env["JAX_PLATFORMS"] = "cpu"
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--model", model,
                   "--n", str(n), "--steps", str(steps), "--devices", str(d),
                   "--repeats", str(repeats)]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
            if out.returncode:
                raise RuntimeError(f"bench_scale worker ({model}, {d} devices) failed:\n"
                                   f"{out.stderr}")
            for line in out.stdout.splitlines():
                if line.startswith("{"):
                    r = json.loads(line)
                    rows.append(r)
                    print(line)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    print(f"\nW6, N = {n}, T = {steps}, float32; {machine}"
          f"{'' if args.real else ' (host devices share these cores)'}\n")
    print("| model | output | devices | neuron-steps/s | vs 1 device | spikes | compile (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        base = next(b for b in rows if b["output"] == r["output"] and b["model"] == r["model"]
                    and b["devices"] == counts[0])
        print(f"| {r['model']} | {r['output']} | {r['devices']} | "
              f"{r['neuron_steps_per_s']:.3g} | "
              f"{r['neuron_steps_per_s'] / base['neuron_steps_per_s']:.2f}x | {r['spikes']} | "
              f"{r['compile_s']:.2f} |")
    return rows


if __name__ == "__main__":
    main()
