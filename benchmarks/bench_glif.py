"""W2 for glif_psc_double_alpha (GLIF5): neuron-steps per second, spikax vs brainspikes vs NEST.

Same dynamics in every system: NEST's default GLIF5 parameters (``spike_dependent_threshold``,
``after_spike_currents`` and ``adapting_threshold`` on; spikax's and brainspikes' defaults are
NEST's), one receptor, dt = 0.1 ms, a constant current of 600 pA x 1.0 ... 1.1 across the
population (``bench_w1.drive_for``: every neuron differs), T steps. The current arrives with
NEST's one-step buffering: NEST gets it from one ``dc_generator`` per neuron connected with
delay h, spikax and brainspikes get ``update(x)`` at every step (both buffer ``x`` for the
next step), so all three see the same input from the second step on. The firing rate is
printed as a sanity column: rows whose rate differs from NEST's (or from spikax's when NEST
is missing) by more than 1 % are marked and are not comparable.

Precision: float32 for the JAX systems (the protocol), ``--float64`` for both in float64.
NEST always computes in double precision.

* spikax: ``spikax.simulate`` as its users call it, (a) ``spikes='counts'`` (per-neuron
  counts, no raster) and (b) ``spikes='bool'``, a T x N boolean raster, each call donating
  the previous result (``out=``) so the raster memory is reused.
* brainspikes 0.2.0 (``brainspike.glif_psc_double_alpha``, optional): one jit-compiled
  ``brainstate.transform.for_loop`` with ``t`` set in ``brainstate.environ`` every step (its
  ``update`` reads it), the states put back to their initial values at the start of each
  call (brainspikes has no ``reset_state``), returning (a) the counts or (b) the stacked
  float32 raster (what its users write; compared with spikax's bool raster).
* NEST 3.10 (optional): ``nest.Run`` of T steps, repeated inside one ``Prepare``/``Cleanup``
  with a spike recorder (min_delay = h; all neurons identical, so spikes are synchronous),
  once per thread count in ``--threads`` (default 1 and all cores: on a shared machine one
  thread can beat two, NEST synchronising its threads every min_delay); the ``vs NEST``
  column compares with the fastest. The rate is taken from the first ``Run`` (the same
  window as the JAX systems, which restart from the initial state every call).

JAX systems: the first call (trace + compile) is reported apart as ``compile_s``, then one
warm-up and ``--repeats`` timed calls, each ``block_until_ready``'d; the timed calls of all
JAX rows of one size run round-robin (the machine is shared: a change of load then hits
every system alike). NEST: the build
(create, connect, ``Prepare``) is reported apart as ``compile_s``; ``--nest-repeats`` timed
``Run`` calls. Median and range are reported, with peak RSS. What is not installed is skipped
and said so.

    python benchmarks/bench_glif.py [--sizes 1e3,1e5[,1e6]] [--steps 1000] [--float64]
                                    [--systems spikax,brainspikes,NEST,floor] [--threads 1,2]
                                    [--host-devices 2] [--quick]

* floor (``benchmarks/floors.py``, float32 only): the same GLIF5 dynamics written by hand
  for this one case, with every constant folded in, one flat array per state variable,
  tiles of 512 neurons and counts only; its spike counts equal spikax's. It bounds what
  an XLA loop can do here, and the ``vs floor`` column reads every row against it.

``--host-devices D`` adds spikax rows with the population sharded over D CPU host devices
(one loop per device: how spikax uses several cores; see bench_w1.py).

Prints one JSON record per measurement, then a Markdown table with the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import saiunit as u

import spikax

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_w1 import (  # noqa: E402
    drive_for,
    for_loop_runner,
    ratio_text,
    simulate_runner,
    use_host_devices,
)
from floors import glif5_floor  # noqa: E402

DT = 0.1  # ms
AMP = 600.0  # pA
FLAGS = dict(spike_dependent_threshold=True, after_spike_currents=True, adapting_threshold=True)
SYSTEMS = ("spikax", "brainspikes", "NEST", "floor")
#: JAX system -> its outputs (NEST: one row per thread count, output ``recorder``)
MODES = {"spikax": ("counts", "raster_bool"), "brainspikes": ("counts", "raster"),
         "floor": ("counts",)}
#: output -> the brainspikes output it is compared with
PEER_MODE = {"counts": "counts", "raster_bool": "raster", "raster": "raster"}


# ------------------------------------------------------------------------------- systems
def make_spikax(n, steps, mode, devices=1):
    """Repeated ``spikax.simulate`` calls; the raster mode donates the previous result; the
    population sharded over ``devices`` devices when more than one."""
    neuron = spikax.glif_psc_double_alpha(n, **FLAGS)
    neuron.init_state()
    if devices > 1:
        spikax.shard(neuron, devices=devices)
    spikes = {"counts": "counts", "raster_bool": "bool"}[mode]
    return simulate_runner(neuron, drive_for(AMP * u.pA, n), steps, spikes)


def make_brainspikes(brainspike, n, steps, mode):
    """One jit-compiled ``for_loop`` the way brainspikes' own tests and users write it."""
    neuron = brainspike.glif_psc_double_alpha(n, **FLAGS)  # its defaults are NEST's
    neuron.init_state()
    states = list(neuron.states().values())
    initial = [s.value for s in states]

    def restore():  # brainspikes has no reset_state
        for state, value in zip(states, initial, strict=True):
            state.value = value

    return for_loop_runner(neuron, drive_for(AMP * u.pA, n), steps, mode, restore)


def time_jax(runs: dict, repeats):
    """Time the runners ``{key: run}`` of one size round-robin (each timed repeat runs every
    system once), so that a change of load on the shared machine hits all of them alike."""
    first, spikes, times = {}, {}, {key: [] for key in runs}
    for key, run in runs.items():
        t0 = time.perf_counter()
        out = jax.block_until_ready(run())
        first[key] = time.perf_counter() - t0
        spikes[key] = float(jnp.sum(out, dtype=jnp.float32))  # the first call starts from rest
        jax.block_until_ready(run())  # warm-up
    for _ in range(repeats):
        for key, run in runs.items():
            t0 = time.perf_counter()
            jax.block_until_ready(run())
            times[key].append(time.perf_counter() - t0)
    out = {}
    for key, ts in times.items():
        med = statistics.median(ts)
        out[key] = dict(compile_s=max(first[key] - med, 0.0), median_s=med, min_s=min(ts),
                        max_s=max(ts), spikes=spikes[key])
    return out


def time_nest(nest, n, steps, repeats, threads):
    t0 = time.perf_counter()
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = DT
    nest.local_num_threads = threads
    pop = nest.Create("glif_psc_double_alpha", n, params=FLAGS)
    # the JAX systems' per-neuron drive: one dc_generator per neuron (GLIF has no I_e)
    amps = [float(a) for a in np.asarray(drive_for(AMP, n))]
    dc = nest.Create("dc_generator", n, params={"amplitude": amps})
    rec = nest.Create("spike_recorder")
    nest.Connect(dc, pop, "one_to_one", syn_spec={"delay": DT})
    nest.Connect(pop, rec)
    nest.Prepare()
    build = time.perf_counter() - t0
    times, spikes = [], None
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            nest.Run(steps * DT)
            times.append(time.perf_counter() - t0)
            if spikes is None:
                spikes = rec.n_events  # the first window, from rest (as the JAX systems)
    finally:
        nest.Cleanup()
    med = statistics.median(times)
    return dict(compile_s=build, median_s=med, min_s=min(times), max_s=max(times),
                spikes=float(spikes), threads=threads, min_delay_ms=DT,
                note="spike recorder attached; synchronous spikes")


# ------------------------------------------------------------------------------- main
def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1e3,1e5", help="e.g. 1e3,1e5,1e6")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--nest-repeats", type=int, default=5)
    cores = os.cpu_count() or 1
    p.add_argument("--threads", default=",".join(str(t) for t in sorted({1, cores})),
                   help="NEST thread counts, each its own row (default 1 and all cores); the "
                        "'vs NEST' column compares with the fastest")
    p.add_argument("--systems", default=",".join(SYSTEMS))
    p.add_argument("--float64", action="store_true",
                   help="spikax and brainspikes in float64 (default float32; NEST is double)")
    p.add_argument("--host-devices", type=int, default=1,
                   help="also run spikax sharded over this many CPU host devices (one loop "
                        "per device, i.e. per core; brainspikes stays on one device)")
    p.add_argument("--quick", action="store_true", help="N = 1e3, 100 steps, 2 repeats")
    args = p.parse_args(argv)
    use_host_devices(args.host_devices)
    sizes = [1000] if args.quick else [int(float(s)) for s in args.sizes.split(",")]
    steps, repeats = (100, 2) if args.quick else (args.steps, args.repeats)
    nest_repeats = 2 if args.quick else args.nest_repeats
    wanted = [s.strip() for s in args.systems.split(",")]
    unknown = set(wanted) - set(SYSTEMS)
    if unknown:
        p.error(f"unknown systems {sorted(unknown)}; choose from {SYSTEMS}")
    precision = 64 if args.float64 else 32
    threads = [int(t) for t in str(args.threads).split(",")]

    mods = {"spikax": spikax}
    if "brainspikes" in wanted:
        try:
            import brainspike  # the brainspikes distribution's module

            mods["brainspikes"] = brainspike
        except Exception as e:  # not installed (or broken): said so
            print(json.dumps({"skipped": "brainspikes", "reason": f"not importable: {e!r}"}))
    if "NEST" in wanted:
        try:
            import nest

            mods["NEST"] = nest
        except Exception as e:
            print(json.dumps({"skipped": "NEST", "reason": f"not importable: {e!r}"}))
    if "floor" in wanted:
        if precision == 32:
            mods["floor"] = glif5_floor
        else:
            print(json.dumps({"skipped": "floor", "reason": "written for float32 only"}))
    versions = {"spikax": getattr(spikax, "__version__", "?"), "jax": jax.__version__,
                "brainstate": getattr(brainstate, "__version__", "?")}
    if "brainspikes" in mods:
        versions["brainspikes"] = getattr(mods["brainspikes"], "__version__", "?")
    if "NEST" in mods:
        versions["NEST"] = getattr(mods["NEST"], "__version__", "?")

    rows = []

    def record(name, n, mode, res):
        r = dict(workload="W2", model="glif_psc_double_alpha GLIF5", system=name, n=n,
                 steps=steps, mode=mode, precision=64 if name == "NEST" else precision, **res)
        r["neuron_steps_per_s"] = n * steps / r["median_s"]
        r["rate_hz"] = r["spikes"] / (n * steps * DT * 1e-3)
        r["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append(r)
        print(json.dumps(r), flush=True)

    with brainstate.environ.context(precision=precision, dt=DT * u.ms):
        for n in sizes:
            runs = {}
            if "spikax" in mods and "spikax" in wanted:
                for mode in MODES["spikax"]:
                    runs["spikax", mode] = make_spikax(n, steps, mode)
                    if args.host_devices > 1:
                        runs[f"spikax, {args.host_devices} devices", mode] = make_spikax(
                            n, steps, mode, args.host_devices)
            if "floor" in mods:
                runs["floor", "counts"] = glif5_floor(np.asarray(drive_for(AMP, n)), steps, DT)
            if "brainspikes" in mods:
                for mode in MODES["brainspikes"]:
                    runs["brainspikes", mode] = make_brainspikes(mods["brainspikes"], n, steps,
                                                                 mode)
            for (name, mode), res in time_jax(runs, repeats).items():
                record(name, n, mode, res)
            del runs
            if "NEST" in mods:
                for t in threads:
                    record("NEST", n, "recorder",
                           time_nest(mods["NEST"], n, steps, nest_repeats, t))

    for r in rows:  # the rate sanity check: against NEST, else against spikax counts
        ref = next((b for b in rows if b["n"] == r["n"] and b["system"] == "NEST"), None) or \
            next((b for b in rows if b["n"] == r["n"] and b["system"] == "spikax"), None)
        r["rate_ok"] = bool(ref and abs(r["rate_hz"] - ref["rate_hz"])
                            <= 0.01 * max(ref["rate_hz"], 1e-12))
    machine = f"{_cpu()}, {os.cpu_count()} cores, {platform.machine()}"
    vers = ", ".join(f"{k} {v}" for k, v in versions.items())
    skipped = [s for s in wanted if s not in mods]
    print(f"\nGLIF5 (glif_psc_double_alpha), dt = {DT} ms, T = {steps}, {AMP:g} pA; "
          f"JAX systems float{precision}, NEST double (min_delay = h, synchronous spikes); "
          f"{machine}; "
          f"{vers}" + (f"; skipped: {', '.join(skipped)}" if skipped else "") + "\n")
    print("| N | system | output | neuron-steps/s | vs NEST | vs brainspikes | vs floor | "
          "rate (Hz) | compile/build (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        nest_ref = max((b for b in rows if b["system"] == "NEST" and b["n"] == r["n"]),
                       key=lambda b: b["neuron_steps_per_s"], default=None)  # NEST's best
        bs_ref = next((b for b in rows if b["system"] == "brainspikes" and b["n"] == r["n"]
                       and b["mode"] == PEER_MODE.get(r["mode"])), None)
        floor = next((b for b in rows if b["system"] == "floor" and b["n"] == r["n"]), None)
        prec = f"double, {r['threads']} thr" if r["system"] == "NEST" else f"f{r['precision']}"
        flag = "" if r["rate_ok"] else " (rate differs > 1 %)"
        print(f"| {r['n']:.0e} | {r['system']} ({prec}) | {r['mode']} | "
              f"{r['neuron_steps_per_s']:.3g} | {ratio_text(r, nest_ref)} | "
              f"{ratio_text(r, bs_ref)} | {ratio_text(r, floor)} | {r['rate_hz']:.2f}{flag} | "
              f"{r['compile_s']:.2f} |")
    return rows


if __name__ == "__main__":
    main()
