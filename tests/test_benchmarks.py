"""Benchmarks are smoke-run only (tiny sizes): they run and their records are well formed."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_w1_lif_quick(capsys):
    import brainstate

    with brainstate.environ.context():
        rows = _load("bench_w1_lif").main(["--quick"])
    ours = [r for r in rows if r["system"] == "spikax"]
    assert {r["mode"] for r in ours} == {"raster", "counts"}
    for r in ours:
        assert r["neuron_steps_per_s"] > 0 and r["min_s"] <= r["median_s"] <= r["max_s"]
        # brainpy defaults under 1.5 mA fire every 100 steps: 10 spikes/s... per 0.1 ms step
        assert r["rate_hz"] == 100.0
    assert "| N | output | system |" in capsys.readouterr().out


def test_glif_quick(capsys):
    import brainstate

    with brainstate.environ.context():
        rows = _load("bench_glif").main(["--quick"])
    ours = next(r for r in rows if r["system"] == "spikax")
    assert ours["neuron_steps_per_s"] > 0 and ours["rate_hz"] > 0
    nest = [r for r in rows if r["system"] == "NEST"]
    if nest:  # same dynamics when NEST is installed: same firing rate
        assert nest[0]["rate_hz"] == ours["rate_hz"]
    assert "| N | system |" in capsys.readouterr().out
