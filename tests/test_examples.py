"""Every example runs in --quick mode and reports success."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("[0-9]*.py"))


def test_examples_are_found():
    assert EXAMPLES


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_quick(script, tmp_path):
    out = subprocess.run([sys.executable, str(script), "--quick", "--plot",
                          str(tmp_path / "fig.png")], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "fig.png").stat().st_size > 5000


def test_fi_curve_matches_closed_form():
    sys.path.insert(0, str(EXAMPLES[0].parent))
    try:
        import importlib

        fi = importlib.import_module("01_lif_fi_curve")
    finally:
        sys.path.pop(0)
    currents = [0.9, 1.2, 2.0, 4.5]
    counts, steps = fi.simulate(currents, duration=300.0)
    assert list(counts) == list(fi.predicted_counts(currents, steps))
    assert counts[0] == 0 and counts[-1] > counts[-2] > counts[1] > 0
