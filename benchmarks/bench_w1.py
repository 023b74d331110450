"""W1/W2: neuron-steps per second of one population under constant suprathreshold input.

Protocol (benchmarks.md): float32, dt = 0.1 ms, T steps, each model with brainpy.state's
default parameters driven by a constant current that makes it fire (table ``MODELS``),
spread over the population from 1.0x to 1.1x (``drive_for``) so that every neuron differs.
Outputs: (a) ``raster``, the T x N float spike raster returned, (b) ``raster_bool``, the same
raster as booleans (spikax only: the same information in a quarter of the bytes), (c)
``counts``, spike counts only. spikax runs through ``spikax.simulate`` the way a user would
call it repeatedly: each call donates the previous result (``out=``), so the raster memory
is reused instead of page-faulted afresh. Peers (``brainpy.state``, same class name, same
parameters) run as one jit-compiled ``brainstate.transform.for_loop`` with ``t`` set every
step, returning the stacked raster (what their users write). The first call (trace +
compile) is reported apart as ``compile_s``; then one warm-up and ``--repeats`` timed calls,
each ``block_until_ready``'d; median and range are reported. The firing rate is a sanity
column (rows are comparable only when the rates agree).

    python benchmarks/bench_w1.py [--models LIF,GifRef,...] [--sizes 1e3,1e5,1e6]
                                  [--steps 1000] [--host-devices 2] [--quick]

Models with a hand-written floor (``FLOORS``, ``floors.py``: AdExIFRef) add a ``floor`` row
(counts): the same step with nothing but its arithmetic, tiled; the ``vs floor`` column
reads every row of that model against it.

``--host-devices D`` adds rows for spikax with the population sharded (``spikax.shard``)
over D CPU host devices, one loop per device: on the CPU that is how spikax uses several
cores (jax 0.12 runs every loop on one thread); the peers run as their users run them.

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
import saiunit as u

import spikax

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from floors import adex_floor  # noqa: E402

DT = 0.1


#: model -> (constructor kwargs, constant current); brainpy.state's defaults throughout.
MODELS = {
    "LIF": ({}, 1.5 * u.mA),
    "GifRef": ({"tau_ref": 1.75 * u.ms}, 3.0 * u.mA),
    "Gif": ({}, 3.0 * u.mA),
    "GIF": ({}, 3.0 * u.mA),  # classic GIF; brainpy.state has none (its peer is brainpy 2.x)
    "AdExIFRef": ({"tau_ref": 1.75 * u.ms}, 25.0 * u.mA),
    # NEST models (their peer is NEST: bench_glif.py); NEST's defaults
    "iaf_psc_alpha": ({}, 1000.0 * u.pA),
    "glif_psc_double_alpha": ({"spike_dependent_threshold": True,
                               "after_spike_currents": True, "adapting_threshold": True},
                              600.0 * u.pA),
}
MODES = ("raster", "raster_bool", "counts")


def _adex_floor_runner(n, steps):
    kwargs, current = MODELS["AdExIFRef"]
    params = spikax.AdExIFRef(1, **kwargs)._params()  # the model's own (scalar) parameters
    return adex_floor(params, drive_for(current.to_decimal(u.pA), n), steps, DT)


#: model -> its hand-written floor (``floors.py``): ``runner(n, steps)``, counts only
FLOORS = {"AdExIFRef": _adex_floor_runner}


def drive_for(current, n):
    """The constant per-neuron drive: ``current`` times 1.0 ... 1.1 across the population.

    Every neuron differs, as in any real population. With identical neurons (a uniform
    drive from identical initial states) a compiler may compute one neuron for all: XLA
    hoists a tiled run's whole time loop out of its tile loop, which measures nothing.
    """
    return current * jnp.linspace(1.0, 1.1, n, dtype=jnp.float32)


def systems(model, devices=1):
    """name -> the model's class in each installed system (same brainpy.state signature);
    with ``devices`` > 1 also spikax sharded over that many devices."""
    found = {"spikax": getattr(spikax, model)}
    if devices > 1:
        found[f"spikax, {devices} devices"] = found["spikax"]
    try:
        import brainpy

        found["brainpy.state"] = getattr(brainpy.state, model)
    except Exception:  # not installed (or broken, or lacking the model): said so
        print(json.dumps({"skipped": "brainpy.state", "model": model,
                          "reason": "not importable or no such model"}))
    return found


def simulate_runner(neuron, drive, steps, spikes):
    """``run()``: one ``spikax.simulate`` call under the constant ``drive``; unless counting,
    each call donates the previous result (``out=``), as a user running trials would."""
    box = [None]

    def inputs(t):
        return drive

    def run():
        box[0] = spikax.simulate(neuron, inputs, steps=steps, spikes=spikes,
                                 out=None if spikes == "counts" else box[0])
        return box[0]["spike"]

    return run


def use_host_devices(count):
    """Give this process ``count`` CPU devices (before JAX first runs anything): with
    ``spikax.shard`` a population then runs one loop per device, i.e. per core."""
    if count > 1:
        jax.config.update("jax_num_cpu_devices", count)


def make_simulate(cls, model, n, steps, mode, devices=1):
    """spikax: repeated ``spikax.simulate`` calls, each donating the previous result; the
    population sharded over ``devices`` devices when more than one."""
    kwargs, current = MODELS[model]
    neuron = cls(n, **kwargs)
    neuron.init_state()
    if devices > 1:
        spikax.shard(neuron, devices=devices)
    spikes = {"raster": "float", "raster_bool": "bool", "counts": "counts"}[mode]
    return simulate_runner(neuron, drive_for(current, n), steps, spikes)


def for_loop_runner(neuron, drive, steps, mode, restart):
    """``run()``: a peer's loop as its users write it, one jit-compiled
    ``brainstate.transform.for_loop`` of ``neuron.update(drive)`` with ``t`` set every step,
    from the states ``restart()`` sets; the stacked raster (``mode='raster'``) or the
    spike counts."""
    n = drive.shape[-1]
    count = brainstate.ShortTermState(jnp.zeros(n))

    def step(i):
        with brainstate.environ.context(t=i * DT * u.ms):
            spike = neuron.update(drive)
        if mode == "raster":
            return spike
        count.value = count.value + spike

    @brainstate.transform.jit
    def run():
        restart()
        count.value = jnp.zeros(n)
        out = brainstate.transform.for_loop(step, jnp.arange(steps))
        return out if mode == "raster" else count.value

    return run


def make_runner(cls, model, n, steps, mode):
    """brainpy.state: :func:`for_loop_runner`, restarting with ``reset_state``."""
    kwargs, current = MODELS[model]
    neuron = cls(n, **kwargs)
    neuron.init_state()
    return for_loop_runner(neuron, drive_for(current, n), steps, mode, neuron.reset_state)


def time_calls(run, repeats):
    """First call (trace + compile + run), one warm-up, then ``repeats`` timed calls, each
    ``block_until_ready``'d: ``(first_s, times_s, last_output)``."""
    t0 = time.perf_counter()
    out = jax.block_until_ready(run())
    first = time.perf_counter() - t0
    jax.block_until_ready(run())
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = jax.block_until_ready(run())
        times.append(time.perf_counter() - t0)
    return first, times, out


def measure(cls, model, n, steps, mode, repeats, devices=1):
    if cls is None:  # the model's floor
        run = FLOORS[model](n, steps)
    elif cls.__module__.startswith("spikax"):
        run = make_simulate(cls, model, n, steps, mode, devices)
    else:
        run = make_runner(cls, model, n, steps, mode)
    first, times, out = time_calls(run, repeats)
    med = statistics.median(times)
    spikes = float(jnp.sum(out, dtype=jnp.float32))
    return dict(compile_s=max(first - med, 0.0), median_s=med, min_s=min(times),
                max_s=max(times), neuron_steps_per_s=n * steps / med,
                rate_hz=spikes / (n * steps * DT * 1e-3))


def ratio_text(r, ref):
    """``r``'s throughput over ``ref``'s as ``'1.23x'`` (``'-'`` without ``ref``)."""
    return f"{r['neuron_steps_per_s'] / ref['neuron_steps_per_s']:.2f}x" if ref else "-"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--sizes", default="1e3,1e5,1e6")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--host-devices", type=int, default=1,
                   help="also run spikax sharded over this many CPU host devices (one loop "
                        "per device, i.e. per core; the peers stay on one device)")
    p.add_argument("--quick", action="store_true", help="N = 1e3, 100 steps, 2 repeats")
    args = p.parse_args(argv)
    use_host_devices(args.host_devices)
    sizes = [1000] if args.quick else [int(float(s)) for s in args.sizes.split(",")]
    steps, repeats = (100, 2) if args.quick else (args.steps, args.repeats)
    brainstate.environ.set(precision=32, dt=DT * u.ms)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, " \
              f"jax {jax.__version__} on {jax.devices()[0].platform}"
    rows = []
    for model in args.models.split(","):
        found = systems(model, args.host_devices)
        if model in FLOORS:
            found["floor"] = None
        for name, cls in found.items():
            devices = args.host_devices if name.startswith("spikax,") else 1
            for n in sizes:
                for mode in MODES:
                    if mode == "raster_bool" and not name.startswith("spikax") or \
                            name == "floor" and mode != "counts":
                        continue
                    r = dict(workload="W1", model=model, system=name, n=n, steps=steps,
                             mode=mode, devices=devices,
                             **measure(cls, model, n, steps, mode, repeats, devices))
                    r["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                    rows.append(r)
                    print(json.dumps(r))
    print(f"\nW1, float32, dt = {DT} ms, T = {steps}; {machine}\n")
    print("| model | N | output | system | neuron-steps/s | vs brainpy.state (raster for "
          "raster_bool) | vs floor | rate (Hz) | compile (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        peer_mode = "raster" if r["mode"] == "raster_bool" else r["mode"]
        ref = next((b for b in rows if b["system"] == "brainpy.state" and b["n"] == r["n"]
                    and b["mode"] == peer_mode and b["model"] == r["model"]), None)
        floor = next((b for b in rows if b["system"] == "floor" and b["n"] == r["n"]
                      and b["model"] == r["model"]), None)

        print(f"| {r['model']} | {r['n']:.0e} | {r['mode']} | {r['system']} | "
              f"{r['neuron_steps_per_s']:.3g} | {ratio_text(r, ref)} | {ratio_text(r, floor)} | "
              f"{r['rate_hz']:.1f} | {r['compile_s']:.2f} |")
    return rows


if __name__ == "__main__":
    main()
