"""W4: compile latency of a model's simulation loop, T = 100 and T = 10,000 steps.

Protocol (benchmarks.md): every spikax model (constructor arguments and driving current as in
``tests/registry.py``), N = 1000 neurons, dt = 0.1 ms, float32, spike counts only. Each
(model, T) pair is measured twice, each time in a fresh subprocess, so that no trace or
compile cache helps (``--quick`` runs in this process: a smoke test only):

* ``simulate``: the first call of ``spikax.simulate(model, lambda t: I, steps=T,
  spikes='counts')`` (argument checks, trace, lowering, XLA compile and the run) and a second,
  cached call (the run alone); ``compile_s`` = first - second.
* ``split``: the same loop written with ``brainstate.transform.for_loop`` inside
  ``brainstate.transform.jit`` (``t = k * dt`` set every step, as ``simulate`` does), staged
  by hand: ``trace_s`` (Python tracing to a jaxpr, ``.trace()``), ``lower_s`` (jaxpr to
  StableHLO, ``.lower()``) and ``xla_s`` (XLA compile, ``.compile()``), so a slow compile
  says which part dominates.

The loop is a ``while`` over T, so none of these should grow with T: the table shows
T = 1e4 / T = 1e2 and flags any model above 1 s; ``hlo_lines`` (the size of the compiled
program's text) is the same at every T.

    python benchmarks/bench_compile.py [--models LIF,GifRef,...] [--steps 100,10000] [--n 1000]
                                       [--quick]

Prints one JSON record per (model, T), then a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

RESULT = "RESULT "
DT = 0.1
LIMIT_S = 1.0


def models():
    """model -> (constructor kwargs, constant current); as ``tests/registry.py``."""
    import saiunit as u

    return {
        "LIF": ({"tau": 5.0 * u.ms}, 3.0 * u.mA),
        "GifRef": ({"tau_ref": 2.05 * u.ms, "a": 0.005 / u.ms}, 3.0 * u.mA),
        "Gif": ({"a": 0.005 / u.ms, "A2": -0.6 * u.mA}, 3.0 * u.mA),
        "GIF": ({"tau_ref": 1.75 * u.ms, "a": 0.005 / u.ms, "A2": -0.6 * u.mA}, 4.0 * u.mA),
        "AdExIFRef": ({"tau_ref": 1.75 * u.ms}, 25.0 * u.mA),
        "iaf_psc_alpha": ({"tau_syn_ex": 2.0 * u.ms}, 1000.0 * u.pA),
        "glif_psc_double_alpha": ({"spike_dependent_threshold": True,
                                   "after_spike_currents": True, "adapting_threshold": True,
                                   "I_e": 50.0 * u.pA, "V_initializer": -70.0 * u.mV},
                                  600.0 * u.pA),
    }


MODEL_NAMES = ("LIF", "GifRef", "Gif", "GIF", "AdExIFRef", "iaf_psc_alpha",
               "glif_psc_double_alpha")


def _build(model, n):
    import brainstate
    import saiunit as u

    import spikax

    brainstate.environ.set(precision=32, dt=DT * u.ms)
    kwargs, current = models()[model]
    neuron = getattr(spikax, model)(n, **kwargs)
    neuron.init_state()
    return neuron, current


def worker_simulate(model, n, steps):
    import jax

    import spikax

    neuron, current = _build(model, n)

    def drive(t):  # one function object: simulate caches per input function
        return current

    def call():
        res = spikax.simulate(neuron, drive, steps=steps, spikes="counts")
        return jax.block_until_ready(res["spike"])

    t0 = time.perf_counter()
    call()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts = call()
    run = time.perf_counter() - t0
    return dict(first_call_s=first, run_s=run, compile_s=max(first - run, 0.0),
                rate_hz=float(counts.sum()) / (n * steps * DT * 1e-3))


def worker_split(model, n, steps):
    import brainstate
    import jax.numpy as jnp
    import saiunit as u

    neuron, current = _build(model, n)

    def step(k):
        with brainstate.environ.context(t=k * DT * u.ms):
            return neuron.update(current)

    @brainstate.transform.jit
    def run():
        neuron.reset_state()
        spikes = brainstate.transform.for_loop(step, jnp.arange(steps))
        return spikes.sum(0)

    t0 = time.perf_counter()
    traced = run.trace()
    t1 = time.perf_counter()
    lowered = traced.lower()
    t2 = time.perf_counter()
    compiled = lowered.compile()
    t3 = time.perf_counter()
    n_ops = compiled.as_text().count("\n")
    return dict(trace_s=t1 - t0, lower_s=t2 - t1, xla_s=t3 - t2, total_s=t3 - t0,
                hlo_lines=n_ops)


def worker(model, n, steps, mode):
    import jax

    r = worker_simulate(model, n, steps) if mode == "simulate" else worker_split(model, n, steps)
    r["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    r["jax"] = jax.__version__
    return r


def run_in_subprocess(model, n, steps, mode, fresh=True):
    if not fresh:  # --quick: in this process (a smoke test; caches may help)
        return worker(model, n, steps, mode)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", f"{model}:{steps}:{mode}",
           "--n", str(n)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT)]
    if proc.returncode or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"bench_compile worker {model} T={steps} {mode} failed "
                           f"(rc {proc.returncode}): " + " | ".join(tail))
    return json.loads(lines[-1][len(RESULT):])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(MODEL_NAMES))
    p.add_argument("--steps", default="100,10000")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--quick", action="store_true",
                   help="LIF only, N = 10, T = 10 and 1000, in this process (no fresh subprocess)")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:  # inside the subprocess of one (model, T, mode)
        model, steps, mode = args.worker.split(":")
        print(RESULT + json.dumps(worker(model, args.n, int(steps), mode)))
        return None
    names = ["LIF"] if args.quick else args.models.split(",")
    steps_list = [10, 1000] if args.quick else [int(float(s)) for s in args.steps.split(",")]
    n = 10 if args.quick else args.n
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, " \
              f"Python {platform.python_version()}"
    rows = []
    for model in names:
        for steps in steps_list:
            r = dict(workload="W4", model=model, n=n, steps=steps)
            r.update(run_in_subprocess(model, n, steps, "simulate", fresh=not args.quick))
            split = run_in_subprocess(model, n, steps, "split", fresh=not args.quick)
            r.update({k: split[k] for k in ("trace_s", "lower_s", "xla_s", "total_s",
                                            "hlo_lines")})
            r["over_limit"] = r["compile_s"] > LIMIT_S or r["total_s"] > LIMIT_S
            r["load_avg_1min"] = os.getloadavg()[0]
            rows.append(r)
            print(json.dumps(r))
    lo, hi = min(steps_list), max(steps_list)
    where = "in this process (--quick)" if args.quick else "fresh process per entry"
    print(f"\nW4 compile latency, float32, dt = {DT} ms, N = {n}, {where}; {machine}\n")
    print(f"| model | simulate, T = {lo} (s) | simulate, T = {hi} (s) | ratio | "
          f"for_loop T = {hi}: trace / lower / XLA (s) | < {LIMIT_S:g} s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for model in names:
        a = next(r for r in rows if r["model"] == model and r["steps"] == lo)
        b = next(r for r in rows if r["model"] == model and r["steps"] == hi)
        ok = "no" if a["over_limit"] or b["over_limit"] else "yes"
        print(f"| {model} | {a['compile_s']:.2f} | {b['compile_s']:.2f} | "
              f"{b['compile_s'] / max(a['compile_s'], 1e-9):.2f} | "
              f"{b['trace_s']:.2f} / {b['lower_s']:.2f} / {b['xla_s']:.2f} | {ok} |")
    return rows


if __name__ == "__main__":
    main()
