"""`python -m spikax`: the table, JSON, --plot, --help and the error paths."""

import json
import subprocess
import sys

import numpy as np
import pytest

from spikax import _demo


def test_table_lists_every_model(capsys):
    assert _demo.main(["--duration", "50"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("model"))
    for col in ("spikes", "mean rate (Hz)", "wall time (s)"):
        assert col in header
    for name in _demo.DEMOS:
        assert any(line.startswith(name + " ") for line in out.splitlines())


def test_json_rows_are_consistent(capsys):
    assert _demo.main(["--duration", "100", "--n", "3", "--json", "--current", "3mA"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["model"] for r in rows} == set(_demo.DEMOS)
    lif = next(r for r in rows if r["model"] == "LIF")
    assert lif["steps"] == 1000 and lif["neurons"] == 3 and lif["current"] == "3. mA"
    assert lif["spikes"] > 0
    np.testing.assert_allclose(lif["rate_hz"], lif["spikes"] / (3 * 0.1))


def test_demo_counts_match_a_direct_simulation():
    """The demo's LIF row equals the model driven by hand (step on at 10 % of 200 ms)."""
    import brainstate
    import jax.numpy as jnp
    import saiunit as u

    import spikax

    r = _demo.run_demo("LIF", duration=200.0, dt=0.1)
    lif = spikax.LIF(1, tau=10 * u.ms)
    lif.init_state()
    on = (jnp.arange(2000) * 0.1 >= 20.0)[:, None] * 1.5 * u.mA
    spikes = brainstate.transform.for_loop(lif.update, on)
    assert r["spikes"] == int(spikes.sum()) == 16
    assert np.array_equal(r["spike_raster"], np.asarray(spikes) > 0)


def test_plot_writes_a_png(tmp_path, capsys):
    import matplotlib.image

    path = tmp_path / "lif.png"
    assert _demo.main(["--duration", "50", "--plot", str(path)]) == 0
    img = matplotlib.image.imread(path)
    assert img.shape[0] > 200 and img.shape[1] > 600
    assert img.std() > 0.05  # not a blank canvas
    assert str(path) in capsys.readouterr().out


def test_plot_without_matplotlib_says_how_to_install(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert _demo.main(["--plot", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "matplotlib" in err and "pip install 'spikax[plot]'" in err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("argv, message", [
    (["--current", "3 mV"], "--current must be a number with a current unit"),
    (["--model", "HH"], "invalid choice: 'HH'"),
    (["--dt", "0"], "need 0 < dt <= duration"),
    (["--n", "0"], "--n must be >= 1"),
])
def test_bad_options_are_explained(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        _demo.main(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_module_entry_point_help():
    out = subprocess.run([sys.executable, "-m", "spikax", "--help"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0
    for option in ("--model", "--duration", "--current", "--dt", "--plot"):
        assert option in out.stdout
