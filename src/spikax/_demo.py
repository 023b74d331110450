"""``python -m spikax``: simulate every model under a step current and print a table."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import brainstate
import jax
import numpy as np
import saiunit as u

from . import neurons

__all__ = ["DEMOS", "DemoSpec", "run_demo", "main"]


@dataclass(frozen=True)
class DemoSpec:
    """How the demonstration drives one model."""

    make: Callable[[int], object]  # n -> a model with a `V` state
    current: u.Quantity  # default step amplitude
    note: str  # one line for --help


DEMOS: dict[str, DemoSpec] = {
    "LIF": DemoSpec(lambda n: neurons.LIF(n, tau=10.0 * u.ms), 1.5 * u.mA,
                    "brainpy.state defaults with tau = 10 ms (R = 1 ohm, V_th = 1 mV)"),
    "GifRef": DemoSpec(lambda n: neurons.GifRef(n), 1.5 * u.mA,
                       "brainpy.state defaults (R 20 ohm, tau 20 ms, tau_ref 1.7 ms)"),
    "Gif": DemoSpec(lambda n: neurons.Gif(n, a=0.005 / u.ms, A1=10.0 * u.mA, A2=-0.6 * u.mA),
                    1.5 * u.mA, "brainpy.state defaults with the bursting set a = 0.005/ms, "
                    "A1 = 10 mA, A2 = -0.6 mA"),
    "GIF": DemoSpec(lambda n: neurons.GIF(n, a=0.005 / u.ms, A1=10.0 * u.mA, A2=-0.6 * u.mA),
                    1.5 * u.mA, "classic brainpy.neurons.GIF (reset in the same step), "
                    "bursting set a = 0.005/ms, A1 = 10 mA, A2 = -0.6 mA"),
    "AdExIFRef": DemoSpec(lambda n: neurons.AdExIFRef(n), 25.0 * u.mA,
                          "brainpy.state defaults (tau 10 ms, tau_w 30 ms, V_th -55 mV, "
                          "tau_ref 1.7 ms)"),
    "iaf_psc_alpha": DemoSpec(lambda n: neurons.iaf_psc_alpha(n), 500.0 * u.pA,
                              "NEST defaults (C_m 250 pF, tau_m 10 ms, V_th -55 mV, "
                              "t_ref 2 ms)"),
    "glif_psc_double_alpha": DemoSpec(
        lambda n: neurons.glif_psc_double_alpha(n, spike_dependent_threshold=True,
                                                after_spike_currents=True,
                                                adapting_threshold=True), 600.0 * u.pA,
        "GLIF5 with NEST's defaults (Allen cell 490626718)"),
}

_CURRENT_UNITS = {"pA": u.pA, "nA": u.nA, "uA": u.uA, "mA": u.mA, "A": u.amp}


def parse_current(text: str) -> u.Quantity:
    """``'1.5mA'``, ``'600 pA'`` ... -> a current Quantity (``ValueError`` otherwise)."""
    m = re.fullmatch(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Z]+)\s*", text)
    if m is None or m.group(2) not in _CURRENT_UNITS:
        raise ValueError(
            f"--current must be a number with a current unit, one of {sorted(_CURRENT_UNITS)} "
            f"(e.g. 1.5mA or '600 pA'); got {text!r}."
        )
    return float(m.group(1)) * _CURRENT_UNITS[m.group(2)]


def _current_arg(text: str) -> u.Quantity:
    try:
        return parse_current(text)
    except ValueError as e:  # argparse prints the message of ArgumentTypeError only
        raise argparse.ArgumentTypeError(str(e)) from None


def run_demo(name: str, *, duration: float = 200.0, dt: float = 0.1, n: int = 1,
             current: u.Quantity | None = None, onset: float | None = None) -> dict:
    """Simulate model ``name`` for ``duration`` ms under a step current; return the results.

    The current is 0 before ``onset`` (default: 10 % of the duration) and ``current``
    (default: the model's own amplitude) from then on. The loop is one
    ``brainstate.transform.for_loop`` inside ``brainstate.transform.jit``; it is run twice so
    that the compile time and the run time are reported apart.
    """
    spec = DEMOS[name]
    amp = spec.current if current is None else current
    steps = int(round(duration / dt))
    onset = 0.1 * duration if onset is None else onset
    t = np.arange(steps) * dt
    drive = np.where(t >= onset, 1.0, 0.0)[:, None] * np.ones((1, n))
    drive = u.math.asarray(drive, dtype=brainstate.environ.dftype()) * amp

    with brainstate.environ.context(dt=dt * u.ms):
        model = spec.make(n)
        model.init_state()

        def step(i, x):
            with brainstate.environ.context(t=i * dt * u.ms):
                spike = model.update(x)
            return spike, model.V.value.to_decimal(u.mV), _threshold_mV(model)

        @brainstate.transform.jit
        def run(xs):
            model.reset_state()
            return brainstate.transform.for_loop(step, np.arange(steps), xs)

        t0 = time.perf_counter()
        jax.block_until_ready(run(drive))
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        spikes, V, theta = jax.block_until_ready(run(drive))
        wall = time.perf_counter() - t0
    spikes = np.asarray(spikes) > 0
    return dict(model=name, neurons=n, steps=steps, dt_ms=dt, current=str(amp),
                spikes=int(spikes.sum()), rate_hz=float(spikes.sum() / (n * duration * 1e-3)),
                compile_s=max(first - wall, 0.0), wall_s=wall, t_ms=t, V_mV=np.asarray(V),
                spike_raster=spikes, threshold_mV=np.asarray(theta))


def _threshold_mV(model):
    """The model's present firing threshold in mV, broadcast to V's shape: the dynamic
    threshold state (``V_th`` of the GIF models, ``threshold`` of GLIF) or the static ``V_th``."""
    for name in ("V_th", "threshold"):
        th = getattr(model, name, None)
        if isinstance(th, brainstate.State):
            th = th.value
            break
    else:
        th = model.V_th
    th = u.Quantity(th).to_decimal(u.mV) if isinstance(th, u.Quantity) else th
    return u.math.zeros_like(model.V.value.to_decimal(u.mV)) + th


def format_table(rows: list[dict]) -> str:
    """The results as an aligned text table."""
    head = ("model", "neurons", "steps", "current", "spikes", "mean rate (Hz)", "compile (s)",
            "wall time (s)")
    body = [(r["model"], str(r["neurons"]), str(r["steps"]), r["current"], str(r["spikes"]),
             f"{r['rate_hz']:.2f}", f"{r['compile_s']:.3f}", f"{r['wall_s']:.4f}")
            for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(b) for b in body])


def plot(rows: list[dict], path: str) -> None:
    """Save one voltage-trace panel per model (spikes marked) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), 1, figsize=(8, 2.6 * len(rows)), squeeze=False)
    for ax, r in zip(axes[:, 0], rows):
        ax.plot(r["t_ms"], r["V_mV"][:, 0], lw=1.0, label="V (neuron 0)")
        ax.plot(r["t_ms"], r["threshold_mV"][:, 0], color="grey", ls="--", lw=0.8,
                label="threshold")
        ts = r["t_ms"][r["spike_raster"][:, 0]]
        ax.plot(ts, r["V_mV"][r["spike_raster"][:, 0], 0], "r^", ms=5, label="spike")
        ax.set_title(f"{r['model']}: {r['spikes']} spikes, {r['rate_hz']:.1f} Hz, "
                     f"step current {r['current']}")
        ax.set_ylabel("V (mV)")
        ax.legend(loc="lower right", fontsize=8)
    axes[-1, 0].set_xlabel("time (ms)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _parser() -> argparse.ArgumentParser:
    models = "\n".join(f"  {k:8s} {v.note} (default step: {v.current})" for k, v in DEMOS.items())
    p = argparse.ArgumentParser(
        prog="python -m spikax",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Simulate spikax models under a step current (0 before the onset, "
                    "constant after) with brainstate.transform.for_loop, and print spikes, "
                    "mean firing rate and wall time per model.",
        epilog=f"models:\n{models}",
    )
    p.add_argument("--model", action="append", choices=sorted(DEMOS),
                   help="model to simulate (repeatable; default: all)")
    p.add_argument("--duration", type=float, default=200.0, help="simulated time in ms "
                   "(default 200)")
    p.add_argument("--dt", type=float, default=0.1, help="time step in ms (default 0.1)")
    p.add_argument("--current", type=_current_arg, default=None,
                   help="step amplitude with its unit, e.g. 1.5mA or '600 pA' "
                        "(default: each model's own)")
    p.add_argument("--onset", type=float, default=None,
                   help="time in ms at which the step switches on (default 10%% of duration)")
    p.add_argument("--n", type=int, default=1, help="neurons per model (default 1)")
    p.add_argument("--plot", metavar="FILE.png", default=None,
                   help="save voltage traces to this image (needs matplotlib: "
                        "pip install 'spikax[plot]')")
    p.add_argument("--json", action="store_true", help="print the results as JSON lines")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m spikax``; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.dt <= 0 or args.dt > args.duration:
        parser.error(f"need 0 < dt <= duration; got dt={args.dt}, duration={args.duration}")
    if args.n < 1:
        parser.error(f"--n must be >= 1; got {args.n}")
    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("spikax: --plot needs matplotlib, which is not installed. Install it with\n"
                  "    pip install 'spikax[plot]'   (or: pip install matplotlib)",
                  file=sys.stderr)
            return 2
    rows = [run_demo(name, duration=args.duration, dt=args.dt, n=args.n,
                     current=args.current, onset=args.onset)
            for name in (args.model or list(DEMOS))]
    if args.json:
        keep = ("model", "neurons", "steps", "dt_ms", "current", "spikes", "rate_hz",
                "compile_s", "wall_s")
        for r in rows:
            print(json.dumps({k: r[k] for k in keep}))
    else:
        print(f"spikax demo: {args.duration:g} ms at dt = {args.dt:g} ms, step current from "
              f"{0.1 * args.duration if args.onset is None else args.onset:g} ms\n")
        print(format_table(rows))
    if args.plot is not None:
        plot(rows, args.plot)
        print(f"\nvoltage traces saved to {args.plot}")
    return 0
