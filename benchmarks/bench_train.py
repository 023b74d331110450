"""W3: milliseconds per training step of a two-layer spiking network (BPTT, surrogate, Adam).

Protocol (benchmarks.md): input 700 -> Linear -> 256 LIF -> Linear -> 20 LIF, batch 64,
T = 100 steps of dt = 1 ms, float32. Loss: softmax cross-entropy of the output layer's spike
counts against integer labels; gradients by backpropagation through time through the
surrogate spike function (``ReluGrad``, the default of both ``spikax.LIF`` and
``brainpy.state.LIF``); Adam (``braintools.optim.Adam``, lr 1e-2) on the weights and biases
of both Linear layers. LIF: tau = 10 ms, R = 1 ohm, V_th = 1 mV, V_reset = V_rest = 0 mV, soft
reset; a Linear's output is read as mA. Every system gets the same Bernoulli input spikes
(p = 0.02 per channel and step), the same labels and the same initial weights (NumPy
generators with fixed seeds), so the first-step loss and the firing rates (printed as sanity
columns) agree wherever the dynamics are the same.

Each system runs in its own subprocess (so that peak RSS, ``ru_maxrss``, is per system): one
first call (trace + compile, reported apart as ``compile_s``), one warm-up, then
``--repeats`` timed steps, each ``block_until_ready``'d; the median and the range are
reported, with the CPU time (all threads) and the minor page faults per step. The steps
keep training on the same batch, so the loss goes down.

Systems (``--systems``; what is not installed is skipped and said so):

* ``spikax``: ``spikax.LIF``; the first Linear is applied to all T steps at once, as one
  (T*B) x 700 matmul before the time loop (``brainstate.transform.for_loop``), whose body,
  LIF + 256 x 20 Linear + LIF, is wrapped in ``brainstate.transform.checkpoint`` (what
  ``spikax.simulate(..., checkpoint=True)`` does). The checkpoint is for speed, not memory:
  without it JAX's scan keeps three (T, B, 256) copies of the hidden membrane potential for
  the backward pass, which lifts XLA's temporary buffer from 25 to 38 MB, above glibc's
  32 MB mmap ceiling, so that every step maps it afresh and takes ~9,700 first-touch page
  faults (50-56 instead of 38-41 ms of CPU per step on this VM); recomputing the cheap step
  costs less.
* ``spikax-loop``: ``spikax.LIF`` with the first Linear inside the loop (64 x 700 per step),
  no checkpoint: the same code as the ``brainpy.state`` row.
* ``brainpy.state``: ``brainpy.state.LIF`` written as a brainpy.state user writes it, every
  layer inside the loop (the peer of ``spikax``).
* ``brainpy.state-hoisted``: ``brainpy.state.LIF`` in exactly the code of the ``spikax`` row
  (hoisted Linear, checkpointed step): what the neuron model itself costs.
* ``spyx``: ``spyx.nn.Sequential(nnx.Linear, spyx.nn.LIF, nnx.Linear, spyx.nn.LIF)`` in
  ``spyx.nn.run``, ``optax.adam``, ``nnx.jit``. spyx's LIF is the discrete form
  ``V <- beta V + x - s V_th`` (beta = exp(-dt/tau), input scaled by 1 - beta, reset not
  decayed, spike read before the update; its default SuperSpike surrogate), so its dynamics,
  and so its rates, differ: a speed reference, not the same row. spyx 1.0 needs flax.nnx; if it
  lives in another virtual environment give its interpreter with ``--spyx-python``.

    python benchmarks/bench_train.py [--systems spikax,brainpy.state,...] [--repeats 10]
                                     [--rounds 1] [--spyx-python /path/to/venv/bin/python]
                                     [--quick]

Prints one JSON record per system and round, then a Markdown table with the ratios to
brainpy.state (per system its round with the lowest median: with ``--rounds`` > 1 the systems
run interleaved, so that a burst of load from other processes does not decide the ratio).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

SYSTEMS = ("spikax", "spikax-loop", "brainpy.state", "brainpy.state-hoisted", "spyx")
DT = 1.0  # ms
TAU = 10.0  # ms
P_IN = 0.02  # input spike probability per channel and step
LR = 1e-2
FULL = dict(steps=100, batch=64, n_in=700, n_hid=256, n_out=20)
QUICK = dict(steps=20, batch=8, n_in=100, n_hid=32, n_out=20)
RESULT = "RESULT "


def make_data(steps, batch, n_in, n_hid, n_out):
    """Input spikes (T, B, n_in) float32, labels (B,), W1, W2 (float32), fixed seeds.

    The weight scales make about 6% of the hidden and 2% of the output neurons fire per step.
    """
    x = (np.random.default_rng(0).random((steps, batch, n_in)) < P_IN).astype(np.float32)
    y = np.random.default_rng(1).integers(0, n_out, batch)
    w1 = np.random.default_rng(2).standard_normal((n_in, n_hid)) * 6.0 / np.sqrt(n_in * P_IN)
    w2 = np.random.default_rng(3).standard_normal((n_hid, n_out)) * 10.0 / np.sqrt(n_hid)
    return x, y, w1.astype(np.float32), w2.astype(np.float32)


# ------------------------------------------------------------------------------ the systems
def build_brainstate(system, sizes):
    """spikax / brainpy.state: a brainstate module, for_loop, brainstate grad, braintools Adam.

    Returns ``(train_step, rates)`` with the batch bound: ``train_step()`` -> loss (the batch
    is an argument of the jitted step, as in a training loop), ``rates()`` -> (hidden,
    output) spikes per neuron and step of the current weights.
    """
    import brainstate
    import braintools
    import jax.numpy as jnp
    import saiunit as u

    if system.startswith("spikax"):
        import spikax

        LIF = spikax.LIF
    else:
        import brainpy

        LIF = brainpy.state.LIF
    hoist = system in ("spikax", "brainpy.state-hoisted")
    T, B = sizes["steps"], sizes["batch"]
    n_in, n_hid, n_out = sizes["n_in"], sizes["n_hid"], sizes["n_out"]
    x, y, w1, w2 = make_data(**sizes)
    brainstate.environ.set(precision=32, dt=DT * u.ms)

    class Net(brainstate.nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = brainstate.nn.Linear(n_in, n_hid, w_init=w1)
            self.lif1 = LIF(n_hid, tau=TAU * u.ms)
            self.l2 = brainstate.nn.Linear(n_hid, n_out, w_init=w2)
            self.lif2 = LIF(n_out, tau=TAU * u.ms)
            self.with_hidden = False  # trace-time switch: also return the hidden spikes

        def step(self, current):
            """One time step from the first layer's output (B, n_hid)."""
            s1 = self.lif1(current * u.mA)
            s2 = self.lif2(self.l2(s1) * u.mA)
            return (s2, s1) if self.with_hidden else s2

        def update(self, xs):
            """Output spikes (T, B, n_out) for input spikes xs (T, B, n_in)."""
            if hoist:  # one (T*B) x n_in matmul, then a small, checkpointed loop body
                current = self.l1(xs.reshape(T * B, n_in)).reshape(T, B, n_hid)
                return brainstate.transform.for_loop(brainstate.transform.checkpoint(self.step),
                                                     current)
            return brainstate.transform.for_loop(lambda xt: self.step(self.l1(xt)), xs)

    net = Net()
    brainstate.nn.init_all_states(net, B)
    weights = net.states(brainstate.ParamState)
    opt = braintools.optim.Adam(lr=LR)
    opt.register_trainable_weights(weights)
    xs, ys = jnp.asarray(x), jnp.asarray(y)

    def loss_fn(xs, ys):
        brainstate.nn.init_all_states(net, B)
        counts = net(xs).sum(0)
        return braintools.metric.softmax_cross_entropy_with_integer_labels(counts, ys).mean()

    @brainstate.transform.jit
    def train_step(xs, ys):
        grads, loss = brainstate.transform.grad(loss_fn, weights, return_value=True)(xs, ys)
        opt.update(grads)
        return loss

    @brainstate.transform.jit
    def rates(xs):
        brainstate.nn.init_all_states(net, B)
        net.with_hidden = True
        try:
            s2, s1 = net(xs)
        finally:
            net.with_hidden = False
        return s1.mean(), s2.mean()

    return (lambda: train_step(xs, ys)), (lambda: rates(xs))


def build_spyx(sizes):
    """spyx 1.0 (flax.nnx) as its documentation trains a network: Sequential + run + optax."""
    import jax.numpy as jnp
    import optax
    import spyx
    from flax import nnx

    x, y, w1, w2 = make_data(**sizes)
    beta = np.float32(np.exp(-DT / TAU))  # not a Python float: a weakly typed Param recompiles
    rngs = nnx.Rngs(0)
    l1 = nnx.Linear(sizes["n_in"], sizes["n_hid"], rngs=rngs)
    l2 = nnx.Linear(sizes["n_hid"], sizes["n_out"], rngs=rngs)
    # brainpy's exponential-Euler LIF adds (1 - beta) R I per step; spyx adds x: scale W.
    l1.kernel.value = jnp.asarray(w1 * (1.0 - beta))
    l2.kernel.value = jnp.asarray(w2 * (1.0 - beta))
    model = spyx.nn.Sequential(l1, spyx.nn.LIF((sizes["n_hid"],), beta=beta, rngs=rngs),
                               l2, spyx.nn.LIF((sizes["n_out"],), beta=beta, rngs=rngs))
    optimizer = nnx.Optimizer(model, optax.adam(LR), wrt=nnx.Param)
    loss_of = spyx.fn.integral_crossentropy(smoothing=0.0, time_axis=0)
    xs, ys = jnp.asarray(x), jnp.asarray(y)

    def loss_fn(model, xs, ys):
        out, _ = spyx.nn.run(model, xs)
        return loss_of(out, ys)

    @nnx.jit
    def train_step(model, optimizer, xs, ys):
        loss, grads = nnx.value_and_grad(loss_fn)(model, xs, ys)
        optimizer.update(model, grads)
        return loss

    @nnx.jit
    def rates(model, xs):
        s1, _ = spyx.nn.run(spyx.nn.Sequential(*model.layers[:2]), xs)
        s2, _ = spyx.nn.run(model, xs)
        return s1.mean(), s2.mean()

    return (lambda: train_step(model, optimizer, xs, ys)), (lambda: rates(model, xs))


def worker(system, sizes, repeats):
    """Build one system, time its training step; the record (a dict) or a 'skipped' dict."""
    try:
        if system == "spyx":
            train_step, rates = build_spyx(sizes)
        else:
            train_step, rates = build_brainstate(system, sizes)
        import jax
    except ImportError as e:  # peer not installed: skipped, and said so
        return {"skipped": system, "reason": f"not importable ({e})"}
    r_hid, r_out = (float(r) for r in jax.block_until_ready(rates()))
    losses = []
    t0 = time.perf_counter()
    losses.append(float(jax.block_until_ready(train_step())))
    first = time.perf_counter() - t0
    losses.append(float(jax.block_until_ready(train_step())))  # warm-up
    times, cpu = [], []
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        loss = jax.block_until_ready(train_step())
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        losses.append(float(loss))
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / repeats
    med = statistics.median(times)
    return dict(compile_s=max(first - med, 0.0), ms_per_step=1e3 * med, min_ms=1e3 * min(times),
                max_ms=1e3 * max(times), cpu_ms_per_step=1e3 * statistics.median(cpu),
                page_faults_per_step=faults, losses=losses, rate_hidden=r_hid, rate_out=r_out,
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                python=platform.python_version(), jax=jax.__version__)


def run_in_subprocess(system, args, python):
    cmd = [python, os.path.abspath(__file__), "--worker", system, "--repeats",
           str(args.repeats)] + (["--quick"] if args.quick else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT)]
    if proc.returncode or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"skipped": system, "reason": f"worker failed (rc {proc.returncode}): "
                                             + " | ".join(tail)}
    return json.loads(lines[-1][len(RESULT):])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--systems", default=",".join(SYSTEMS))
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--rounds", type=int, default=1,
                   help="run the systems this many times, interleaved; the table shows each "
                        "system's round with the lowest median")
    p.add_argument("--spyx-python", default=None,
                   help="interpreter of a virtual environment with spyx (default: this one)")
    p.add_argument("--quick", action="store_true",
                   help="T = 20, batch 8, 100 -> 32 -> 20, 3 repeats")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.quick:
        args.repeats = min(args.repeats, 3)
    if args.worker:  # inside the subprocess of one system
        print(RESULT + json.dumps(worker(args.worker, sizes, args.repeats)))
        return None
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, " \
              f"Python {platform.python_version()}"
    rows = []
    for rnd in range(args.rounds):  # rounds interleave the systems: load changes hit all
        for system in args.systems.split(","):
            python = (args.spyx_python or sys.executable) if system == "spyx" \
                else sys.executable
            r = run_in_subprocess(system, args, python)
            if "skipped" not in r:
                r = dict(workload="W3", system=system, round=rnd, **sizes, dt_ms=DT, **r,
                         load_avg_1min=os.getloadavg()[0])
                rows.append(r)
            print(json.dumps(r))
    # speed-up vs brainpy.state within each round (the same load), for every system
    paired = {}
    for r in rows:
        ref = next((b for b in rows if b["system"] == "brainpy.state"
                    and b["round"] == r["round"]), None)
        if ref is not None:
            paired.setdefault(r["system"], []).append(ref["ms_per_step"] / r["ms_per_step"])
    # per system the round with the lowest median (the least disturbed by other processes)
    best = {}
    for r in rows:
        if r["system"] not in best or r["ms_per_step"] < best[r["system"]]["ms_per_step"]:
            best[r["system"]] = r
    rows = list(best.values())
    for r in rows:
        if r["system"] in paired:
            r["speedup_per_round"] = paired[r["system"]]
    print(f"\nW3 training step, float32, T = {sizes['steps']}, dt = {DT} ms, batch "
          f"{sizes['batch']}, {sizes['n_in']} -> {sizes['n_hid']} -> {sizes['n_out']}; "
          f"{machine}; best of {args.rounds} round(s)\n")
    print("| system | ms / step (median, min..max) | speed-up vs brainpy.state | CPU ms / step | "
          "page faults / step | compile (s) | peak RSS (MB) | rate hidden / out | "
          "loss first -> last | load |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ref = next((r for r in rows if r["system"] == "brainpy.state"), None)
    for r in rows:
        ratio = f"{ref['ms_per_step'] / r['ms_per_step']:.2f}x" if ref else "-"
        print(f"| {r['system']} | {r['ms_per_step']:.1f} ({r['min_ms']:.1f}..{r['max_ms']:.1f}) "
              f"| {ratio} | {r['cpu_ms_per_step']:.1f} | {r['page_faults_per_step']:.0f} | "
              f"{r['compile_s']:.2f} | {r['peak_rss_mb']:.0f} | "
              f"{r['rate_hidden']:.4f} / {r['rate_out']:.4f} | "
              f"{r['losses'][0]:.4f} -> {r['losses'][-1]:.4f} | {r['load_avg_1min']:.1f} |")
    if args.rounds > 1 and paired:
        print("\nSpeed-up vs brainpy.state within each round (min / median / max): " + "; ".join(
            f"{k} {min(v):.2f} / {statistics.median(v):.2f} / {max(v):.2f}"
            for k, v in paired.items() if k != "brainpy.state"))
    return rows


if __name__ == "__main__":
    main()
