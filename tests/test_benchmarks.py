"""Benchmarks are smoke-run only (tiny sizes): they run and their records are well formed."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

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
    # LIF with brainpy's defaults (tau = 5 ms, R = 1 ohm, V_th = 1 mV, soft reset) under
    # 1.5 mA x 1.0 ... 1.1: the closed-form step V <- I + (V - I) exp(-dt / tau), spike at
    # V >= 1 mV, then V - 1 mV (one spike per neuron at 1.5 mA, two at 1.65 mA)
    current = np.asarray(bench.drive_for(1.5, 1000), dtype=np.float64)
    v, spike, total = np.zeros(1000), np.zeros(1000), 0.0
    for _ in range(100):
        v = current + (v - spike - current) * np.exp(-0.1 / 5.0)
        spike = (v >= 1.0).astype(float)
        total += spike.sum()
    assert 1000 < total < 2000
    lif = [r for r in ours if r["model"] == "LIF"]
    expected = round(total / (1000 * 100 * 0.1e-3), 1)
    assert [r["rate_hz"] for r in lif] == [expected] * len(bench.MODES)  # every output
    assert all(r["rate_hz"] > 0 for r in ours)
    # AdExIFRef's hand-written floor: counts only, the same firing rate as spikax's
    (floor,) = [r for r in rows if r["system"] == "floor"]
    adex = [r for r in ours if r["model"] == "AdExIFRef"]
    assert (floor["model"], floor["mode"]) == ("AdExIFRef", "counts")
    assert floor["rate_hz"] == adex[0]["rate_hz"] > 0
    assert "| model | N | output | system |" in capsys.readouterr().out


def test_adex_floor_is_the_same_model():
    """AdExIFRef's hand-written floor: per-neuron spike counts equal spikax's over 1000
    steps of the W1 protocol."""
    import brainstate
    import saiunit as u

    import spikax

    bench = _load("bench_w1")
    kwargs, current = bench.MODELS["AdExIFRef"]
    n, steps = 1000, 1000
    with brainstate.environ.context(precision=32, dt=0.1 * u.ms):
        neuron = spikax.AdExIFRef(n, **kwargs)
        neuron.init_state()
        drive = bench.drive_for(current, n)
        ours = spikax.simulate(neuron, lambda t: drive, steps=steps, spikes="counts")
        floor = bench.FLOORS["AdExIFRef"](n, steps)()
    assert float(np.sum(floor)) > 10 * n
    np.testing.assert_array_equal(np.asarray(floor), np.asarray(ours["spike"]))


def test_glif_quick(capsys):
    import brainstate

    with brainstate.environ.context():
        rows = _load("bench_glif").main(["--quick"])
    ours = [r for r in rows if r["system"] == "spikax"]
    assert [r["mode"] for r in ours] == ["counts", "raster_bool"]  # through spikax.simulate
    for r in ours:
        assert r["precision"] == 32  # the protocol's default
        assert r["neuron_steps_per_s"] > 0 and r["min_s"] <= r["median_s"] <= r["max_s"]
    # GLIF5 under 600 pA: two spikes per neuron in the 100 quick steps, in every output
    assert [r["rate_hz"] for r in ours] == [200.0, 200.0]
    # the peers (brainspikes, NEST) where installed and the hand-written floor: same
    # dynamics, same firing rate
    assert [r["mode"] for r in rows if r["system"] == "floor"] == ["counts"]
    assert all(r["rate_ok"] and r["rate_hz"] == 200.0 for r in rows)
    out = capsys.readouterr().out
    assert "| N | system | output |" in out and "| vs floor |" in out
    for peer in ("brainspikes", "NEST"):  # a missing peer is said to be skipped
        assert peer in {r["system"] for r in rows} or f'"skipped": "{peer}"' in out


def test_glif_floor_is_the_same_model():
    """The hand-written GLIF5 floor runs spikax's dynamics: its constants are NEST's
    closed forms and its per-neuron spike counts equal spikax's over 1000 steps."""
    import brainstate
    import saiunit as u

    import spikax

    sys.path.insert(0, str(BENCH))
    try:
        floors = _load("floors")
        glif = _load("bench_glif")
    finally:
        sys.path.remove(str(BENCH))
    c = floors.glif5_constants(0.1)
    g, C_m, h = 9.43, 58.72, 0.1  # NEST's defaults (nS, pF, ms)
    np.testing.assert_allclose(c["P33"], np.exp(-h * g / C_m), rtol=1e-15)
    np.testing.assert_allclose(c["P30"], (1 - np.exp(-h * g / C_m)) / g, rtol=1e-14)
    np.testing.assert_allclose(c["decay1"], np.exp(-0.1 * h), rtol=1e-15)
    np.testing.assert_allclose(c["mean1"], (1 - np.exp(-0.1 * h)) / (0.1 * h), rtol=1e-13)
    np.testing.assert_allclose(c["P11f"], np.exp(-h / 2.0), rtol=1e-15)
    assert c["n_ref"] == 38  # t_ref 3.75 ms in steps of 0.1 ms, rounded up
    n, steps = 1000, 1000
    with brainstate.environ.context(precision=32, dt=0.1 * u.ms):
        neuron = spikax.glif_psc_double_alpha(n, **glif.FLAGS)
        neuron.init_state()
        drive = glif.drive_for(glif.AMP * u.pA, n)
        ours = spikax.simulate(neuron, lambda t: drive, steps=steps, spikes="counts")
        floor = floors.glif5_floor(np.asarray(glif.drive_for(glif.AMP, n)), steps)()
    assert float(np.sum(floor)) > 10 * n  # ~115 Hz
    np.testing.assert_array_equal(np.asarray(floor), np.asarray(ours["spike"]))


def test_glif_host_devices_quick():
    """``--host-devices 2`` (a subprocess: the devices are set before JAX first runs) adds
    spikax rows sharded over two CPU devices, one loop each, with the same dynamics."""
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_glif.py"), "--quick", "--systems", "spikax",
         "--host-devices", "2"], capture_output=True, text=True, timeout=600,
        env=dict(os.environ, JAX_PLATFORMS="cpu"))
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [json.loads(line) for line in out.stdout.splitlines()
            if line.startswith("{") and '"W2"' in line]
    assert sorted((r["system"], r["mode"]) for r in rows) == sorted(
        (system, mode) for system in ("spikax", "spikax, 2 devices")
        for mode in ("counts", "raster_bool"))
    assert all(r["rate_hz"] == 200.0 and r["neuron_steps_per_s"] > 0 for r in rows)
    assert "| 1e+03 | spikax, 2 devices (f32) | counts |" in out.stdout


def test_scale_quick(capsys):
    rows = _load("bench_scale").main(["--quick"])
    assert {(r["devices"], r["output"]) for r in rows} == {
        (d, o) for d in (1, 2) for o in ("counts", "raster_bool")}
    for r in rows:
        assert r["state_devices"] == r["devices"]  # the states really are split
        assert r["neuron_steps_per_s"] > 0 and r["min_s"] <= r["median_s"] <= r["max_s"]
    # the same population fires the same spikes whatever the number of devices
    assert len({r["spikes"] for r in rows}) == 1 and rows[0]["spikes"] > 0
    assert "| output | devices |" in capsys.readouterr().out


def test_train_quick(capsys):
    # W3: each system in its own subprocess; the peers are skipped where not installed
    rows = _load("bench_train").main(["--quick", "--systems", "spikax,spikax-loop"])
    assert [r["system"] for r in rows] == ["spikax", "spikax-loop"]
    for r in rows:
        assert r["ms_per_step"] > 0 and r["min_ms"] <= r["ms_per_step"] <= r["max_ms"]
        assert r["compile_s"] >= 0 and r["peak_rss_mb"] > 0
        assert 0 < r["rate_hidden"] < 1 and 0 < r["rate_out"] < 1  # the layers fire
        assert len(r["losses"]) == 2 + 3 and r["losses"][-1] < r["losses"][0]  # it learns
    # hoisting the first Linear out of the loop changes nothing but the speed
    a, b = rows
    assert abs(a["losses"][0] - b["losses"][0]) <= 1e-4 * a["losses"][0]
    assert abs(a["rate_hidden"] - b["rate_hidden"]) <= 0.01 * a["rate_hidden"]
    assert "| system | ms / step" in capsys.readouterr().out


def test_compile_quick(capsys):
    import brainstate

    with brainstate.environ.context():
        rows = _load("bench_compile").main(["--quick"])
    assert [(r["model"], r["steps"]) for r in rows] == [("LIF", 10), ("LIF", 1000)]
    for r in rows:
        assert r["first_call_s"] >= r["compile_s"] > 0 and r["run_s"] > 0
        assert r["trace_s"] > 0 and r["lower_s"] > 0 and r["xla_s"] > 0
    # the compiled program is a loop: it does not grow with T
    assert rows[0]["hlo_lines"] == rows[1]["hlo_lines"]
    assert rows[1]["rate_hz"] > 0
    assert "| model | simulate, T = 10 (s)" in capsys.readouterr().out


def test_memory_quick(capsys):
    import brainstate

    bench = _load("bench_memory")
    with brainstate.environ.context():
        rows = bench.main(["--quick"])
    by = {r["config"]: r for r in rows}
    assert set(by) == set(bench.CONFIGS)
    assert by["none"]["grad_max_abs"] > 0  # a real gradient
    for r in rows:  # checkpointing changes the memory, not the gradient
        assert r["max_rel_diff"] <= 1e-6 and r["s_per_grad"] > 0
    # blocks of sqrt(T) steps keep only the block boundaries: less than plain BPTT
    assert by["segment"]["xla_temp_mb"] < by["none"]["xla_temp_mb"]
    assert "| checkpointing |" in capsys.readouterr().out
