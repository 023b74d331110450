"""Benchmarks are smoke-run only (tiny sizes): they run and their records are well formed."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_w1_quick(capsys):
    import brainstate

    bench = _load("bench_w1")
    with brainstate.environ.context():
        rows = bench.main(["--quick"])
    ours = [r for r in rows if r["system"] == "spikax"]
    assert {(r["model"], r["mode"]) for r in ours} == {
        (m, mode) for m in bench.MODELS for mode in bench.MODES}
    for r in ours:
        assert r["neuron_steps_per_s"] > 0 and r["min_s"] <= r["median_s"] <= r["max_s"]
    # LIF with brainpy's defaults under 1.5 mA: V_inf = 1.5 mV, first spike after
    # ceil(5 ln 3 / 0.1) = 55 steps, so exactly one spike per neuron in the 100 quick steps
    lif = [r for r in ours if r["model"] == "LIF"]
    assert [r["rate_hz"] for r in lif] == [100.0] * len(bench.MODES)  # every output agrees
    assert all(r["rate_hz"] > 0 for r in ours)
    assert "| model | N | output | system |" in capsys.readouterr().out


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
