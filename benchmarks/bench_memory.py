"""W5: memory and time of a BPTT gradient over a long run, with and without checkpointing.

Protocol (benchmarks.md): ``Linear(512 -> 512) + spikax.LIF(512)``, batch 4, T = 10,000 steps
of dt = 1 ms (tau = 10 ms, ReluGrad surrogate), float32. Input: Bernoulli spikes (p = 0.05,
fixed seed) stored as a bool (T, 4, 512) array (20 MB; float32 would be 82 MB) and turned
into float inside the step; the Linear runs inside the loop (one 4 x 512 matmul per step).
Loss: mean squared distance of each neuron's spikes per step to 0.05 (from spike counts,
``spikes='counts'``: no raster is stored). The gradient is taken with
``brainstate.transform.grad`` with respect to the Linear's weight and bias. Three
configurations, each in its own subprocess:

* ``none``: ``spikax.simulate(..., spikes='counts')``: plain BPTT, every step's residuals
  stored (O(T)).
* ``step``: the same with ``checkpoint=1`` (each step wrapped in
  ``brainstate.transform.checkpoint``): the step's intermediates are recomputed in the
  backward pass, but its inputs (the carried state) are still stored for every step, so
  memory stays O(T), with a smaller constant.
* ``segment``: ``checkpoint=--segment`` (default sqrt(T) = 100 steps, what
  ``checkpoint=True`` picks): simulate scans over segments whose body (an inner scan over
  one segment) is wrapped in ``brainstate.transform.checkpoint``: only the state at the
  segment boundaries is stored, and one segment is recomputed (and its residuals held) at a
  time in the backward pass: O(T / K + K), O(sqrt(T)) for K = sqrt(T).

Reported per configuration: ``grad_peak_mb``, the peak resident memory added by one
gradient call after compilation (``/proc/self/clear_refs`` resets the high-water mark before
the call; ``VmHWM`` after minus ``VmRSS`` before; the worker runs with
``MALLOC_MMAP_THRESHOLD_=131072`` so that freed buffers leave the RSS), ``xla_temp_mb``
(XLA's planned temporary buffers, ``compiled.memory_analysis()``), ``peak_rss_mb``
(``ru_maxrss`` of the process, compile included), the first call (trace + compile + run),
seconds per gradient (median of ``--repeats`` after the first call and a warm-up) and the
largest absolute and relative difference of the gradient from ``none``.

    python benchmarks/bench_memory.py [--steps 10000] [--segment 100] [--repeats 3] [--quick]

Prints one JSON record per configuration, then a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

CONFIGS = ("none", "step", "segment")
RESULT = "RESULT "
DT = 1.0  # ms
TAU = 10.0  # ms
P_IN = 0.05
TARGET = 0.05  # target spikes per step and neuron
FULL = dict(steps=10_000, batch=4, n=512)
QUICK = dict(steps=100, batch=2, n=16)


def _proc_kb(field):
    with open("/proc/self/status") as f:
        return int(re.search(rf"^{field}:\s+(\d+)", f.read(), re.M).group(1))


def _reset_peak():
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def make_data(steps, batch, n):
    x = np.random.default_rng(0).random((steps, batch, n)) < P_IN
    w = np.random.default_rng(1).standard_normal((n, n)) * 3.0 / np.sqrt(n * P_IN)
    return x, w.astype(np.float32)


def build(config, sizes, segment):
    """The jitted gradient function ``() -> {'weight': (n, n), 'bias': (n,)}``."""
    import brainstate
    import jax.numpy as jnp
    import saiunit as u

    import spikax

    steps, batch, n = sizes["steps"], sizes["batch"], sizes["n"]
    x, w = make_data(**sizes)
    brainstate.environ.set(precision=32, dt=DT * u.ms)

    class Layer(brainstate.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = brainstate.nn.Linear(n, n, w_init=w)
            self.lif = spikax.LIF(n, tau=TAU * u.ms)

        def update(self, xt):
            return self.lif(self.linear(xt.astype(jnp.float32)) * u.mA)

    net = Layer()
    brainstate.nn.init_all_states(net, batch)
    xs = jnp.asarray(x)

    def counts_of():
        ckpt = {"none": False, "step": 1, "segment": segment}[config]
        return spikax.simulate(net, xs, spikes="counts", checkpoint=ckpt)["spike"]

    def loss_fn():
        rate = counts_of() / steps  # spikes per step
        return jnp.mean((rate - TARGET) ** 2)

    @brainstate.transform.jit
    def grad():
        g, loss = brainstate.transform.grad(loss_fn, net.linear.weight, return_value=True)()
        return g, loss

    return grad


def worker(config, sizes, segment, repeats, out):
    import jax

    grad = build(config, sizes, segment)
    t0 = time.perf_counter()
    jax.block_until_ready(grad())
    first = time.perf_counter() - t0
    try:
        mem = grad.lower().compile().memory_analysis()
        xla_temp = mem.temp_size_in_bytes / 2**20
    except Exception:  # memory_analysis not available on this backend/version
        xla_temp = float("nan")
    rss_before = _proc_kb("VmRSS")
    exact = _reset_peak()
    g, loss = jax.block_until_ready(grad())  # warm-up, and the call whose peak is measured
    grad_peak = (_proc_kb("VmHWM") - rss_before) / 1024 if exact else float("nan")
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(grad())
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    np.savez(out, weight=np.asarray(g["weight"]), bias=np.asarray(g["bias"]))
    return dict(first_call_s=first, s_per_grad=med, min_s=min(times),
                max_s=max(times), loss=float(loss), grad_peak_mb=grad_peak,
                xla_temp_mb=xla_temp,
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                jax=jax.__version__)


def run_in_subprocess(config, args, out, sizes):
    if args.quick:  # a smoke test: in this process (peaks are then not per configuration)
        return worker(config, sizes, args.segment, args.repeats, out)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", config, "--out", out,
           "--steps", str(args.steps), "--segment", str(args.segment), "--repeats",
           str(args.repeats)] + (["--quick"] if args.quick else [])
    # A fixed mmap threshold: glibc then returns every large buffer to the OS when XLA frees
    # it (its default raises the threshold after the first frees and keeps the pages), so
    # the high-water mark of one call is that call's own memory.
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT)]
    if proc.returncode or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"bench_memory worker {config} failed (rc {proc.returncode}): "
                           + " | ".join(tail))
    return json.loads(lines[-1][len(RESULT):])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--steps", type=int, default=None, help="T (default 10000; --quick: 100)")
    p.add_argument("--segment", type=int, default=None, help="block length (default sqrt(T))")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true",
                   help="T = 100, batch 2, N = 16, 1 repeat, in this process")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    if args.steps:
        sizes["steps"] = args.steps
    args.steps = sizes["steps"]
    args.segment = args.segment or math.isqrt(args.steps)
    if args.quick:
        args.repeats = 1
    if args.worker:  # inside the subprocess of one configuration
        r = worker(args.worker, sizes, args.segment, args.repeats, args.out)
        print(RESULT + json.dumps(r))
        return None
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, " \
              f"Python {platform.python_version()}"
    rows, grads = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for config in args.configs.split(","):
            out = os.path.join(tmp, f"{config}.npz")
            r = dict(workload="W5", config=config, **sizes, dt_ms=DT,
                     segment=args.segment if config == "segment" else None)
            r.update(run_in_subprocess(config, args, out, sizes))
            r["load_avg_1min"] = os.getloadavg()[0]
            with np.load(out) as z:
                grads[config] = {k: z[k] for k in z.files}
            rows.append(r)
    ref = grads.get("none")
    for r in rows:
        if ref is not None:
            g = grads[r["config"]]
            diff = max(float(np.max(np.abs(g[k] - ref[k]))) for k in ref)
            scale = max(float(np.max(np.abs(ref[k]))) for k in ref)
            r["max_abs_diff"] = diff
            r["max_rel_diff"] = diff / scale if scale else diff
            r["grad_max_abs"] = scale
        print(json.dumps(r))
    print(f"\nW5 BPTT memory, float32, Linear + LIF, T = {sizes['steps']}, batch "
          f"{sizes['batch']}, N = {sizes['n']}, dt = {DT} ms; {machine}\n")
    print("| checkpointing | gradient peak (MB) | XLA temp (MB) | process peak RSS (MB) | "
          "s / gradient (median, min..max) | first call (s) | max abs diff vs none (rel) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    names = {"none": "none", "step": "per step (`checkpoint=1`)",
             "segment": f"segments of {args.segment} steps (`checkpoint={args.segment}`)"}
    for r in rows:
        d = f"{r['max_abs_diff']:.2e} ({r['max_rel_diff']:.1e})" if "max_abs_diff" in r else "-"
        print(f"| {names[r['config']]} | {r['grad_peak_mb']:.0f} | {r['xla_temp_mb']:.0f} | "
              f"{r['peak_rss_mb']:.0f} | {r['s_per_grad']:.3f} ({r['min_s']:.3f}.."
              f"{r['max_s']:.3f}) | {r['first_call_s']:.2f} | {d} |")
    return rows


if __name__ == "__main__":
    main()
