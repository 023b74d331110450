"""W2 for glif_psc_double_alpha (GLIF5): neuron-steps per second, spikax vs NEST in one run.

Same dynamics in both: the seed page's GLIF5 parameters (``spike_dependent_threshold``,
``after_spike_currents`` and ``adapting_threshold`` on), one receptor, dt = 0.1 ms, a constant
600 pA current (NEST: a ``dc_generator`` connected with delay h, which spikax's one-step
current buffering reproduces), T steps, float64 (NEST's precision; ``--float32`` for
spikax in float32). spikax runs one jit-compiled ``for_loop`` returning spike counts; NEST
runs ``nest.Run`` inside one ``Prepare``/``Cleanup`` with ``--threads`` threads and a spike
recorder (for the rate column; min_delay = h, all neurons identical, so spikes are
synchronous). Build/compile time is reported apart; the firing rate is printed as a sanity
column (rows are comparable only if the rates agree).

    python benchmarks/bench_glif.py [--sizes 1e3,1e5,1e6] [--steps 1000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import brainstate
import jax
import jax.numpy as jnp
import saiunit as u

import spikax

DT = 0.1
AMP = 600.0  # pA
FLAGS = dict(spike_dependent_threshold=True, after_spike_currents=True, adapting_threshold=True)


def spikax_runner(n, steps):
    neuron = spikax.glif_psc_double_alpha(n, **FLAGS)
    neuron.init_state()
    count = brainstate.ShortTermState(jnp.zeros(n))
    x = jnp.full((n,), AMP) * u.pA

    def step(_):
        count.value = count.value + neuron.update(x)

    @brainstate.transform.jit
    def run():
        neuron.reset_state()
        count.value = jnp.zeros(n)
        brainstate.transform.for_loop(step, jnp.arange(steps))
        return count.value

    return run


def time_spikax(n, steps, repeats):
    run = spikax_runner(n, steps)
    t0 = time.perf_counter()
    jax.block_until_ready(run())
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        counts = jax.block_until_ready(run())
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return dict(setup_s=max(first - med, 0.0), median_s=med, min_s=min(times), max_s=max(times),
                spikes=float(jnp.sum(counts)))


def time_nest(nest, n, steps, repeats, threads):
    times, spikes, setup = [], 0, 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        nest.ResetKernel()
        nest.set_verbosity("M_ERROR")
        nest.resolution = DT
        nest.local_num_threads = threads
        pop = nest.Create("glif_psc_double_alpha", n, params=FLAGS)
        dc = nest.Create("dc_generator", params={"amplitude": AMP})
        rec = nest.Create("spike_recorder")
        nest.Connect(dc, pop, syn_spec={"delay": DT})
        nest.Connect(pop, rec)
        nest.Prepare()
        setup = time.perf_counter() - t0
        t0 = time.perf_counter()
        nest.Run(steps * DT)
        times.append(time.perf_counter() - t0)
        nest.Cleanup()
        spikes = rec.n_events
    med = statistics.median(times)
    return dict(setup_s=setup, median_s=med, min_s=min(times), max_s=max(times),
                spikes=float(spikes), threads=threads, min_delay_ms=DT)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1e3,1e5,1e6")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--nest-repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--float32", action="store_true", help="spikax in float32 (NEST is float64)")
    p.add_argument("--quick", action="store_true", help="N = 1e3, 100 steps, 2 repeats")
    args = p.parse_args(argv)
    sizes = [1000] if args.quick else [int(float(s)) for s in args.sizes.split(",")]
    steps, repeats = (100, 2) if args.quick else (args.steps, args.repeats)
    precision = 32 if args.float32 else 64
    brainstate.environ.set(precision=precision, dt=DT * u.ms)
    try:
        import nest
    except Exception:
        nest = None
        print(json.dumps({"skipped": "NEST", "reason": "nest not importable"}))
    rows = []
    for n in sizes:
        systems = [("spikax", lambda: time_spikax(n, steps, repeats))]
        if nest is not None:
            systems.append(("NEST", lambda: time_nest(nest, n, steps,
                                                      1 if args.quick else args.nest_repeats,
                                                      args.threads)))
        for name, fn in systems:
            r = dict(workload="W2", model="glif_psc_double_alpha GLIF5", system=name, n=n,
                     steps=steps, precision=64 if name == "NEST" else precision, **fn())
            r["neuron_steps_per_s"] = n * steps / r["median_s"]
            r["rate_hz"] = r["spikes"] / (n * steps * DT * 1e-3)
            rows.append(r)
            print(json.dumps(r))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, jax {jax.__version__}"
    print(f"\nGLIF5, dt = {DT} ms, T = {steps}, {AMP} pA; {machine}\n")
    print("| N | system | neuron-steps/s | vs NEST | rate (Hz) | setup/compile (s) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        ref = next((b for b in rows if b["system"] == "NEST" and b["n"] == r["n"]), None)
        ratio = f"{r['neuron_steps_per_s'] / ref['neuron_steps_per_s']:.1f}x" if ref else "-"
        print(f"| {r['n']:.0e} | {r['system']} | {r['neuron_steps_per_s']:.3g} | {ratio} | "
              f"{r['rate_hz']:.1f} | {r['setup_s']:.2f} |")
    return rows


if __name__ == "__main__":
    main()
