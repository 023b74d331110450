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


def _import_example(name):
    import importlib

    sys.path.insert(0, str(EXAMPLES[0].parent))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


def test_digits_training_learns():
    digits = _import_example("04_digits_training")
    res = digits.train(epochs=4, n_train=512, verbose=False)  # the --quick run
    assert res["n_train"] == 512 and res["n_test"] == 360
    assert res["final_test_acc"] > 0.5  # chance is 0.1
    assert res["final_test_loss"] < 0.7 * res["initial_test_loss"]
    assert res["train_loss"][-1] < res["train_loss"][0]


def test_fit_recovers_parameters():
    import numpy as np

    fit = _import_example("05_fit_neuron_parameters")
    current = fit.input_current()
    clean, target = fit.make_recording(current)
    assert float(np.max(clean)) < -45.0  # subthreshold: no spike in the recording
    fitted, losses, _ = fit.fit(current, target, iters=60)  # the --quick run
    assert losses.min() < losses[0] / 10
    for k in fit.NAMES:  # every parameter moved at least halfway to the truth (log scale)
        start, end = abs(np.log(fit.GUESS[k] / fit.TRUE[k])), abs(np.log(fitted[k] / fit.TRUE[k]))
        assert end < 0.5 * start, (k, fit.GUESS[k], fitted[k], fit.TRUE[k])


def test_cuba_without_synapses_fires_at_the_closed_form_rate():
    import numpy as np

    cuba = _import_example("06_cuba_network")
    conn = cuba.build(200, seed=3)
    spikes = cuba.run(conn, duration=150.0, w_e=0.0, w_i=0.0)["spikes"]
    want = cuba.uncoupled_counts(conn["V0"], spikes.shape[0])
    assert want.min() >= 2  # at least one whole period (refractory clamp + recharge) each
    np.testing.assert_array_equal(spikes.sum(axis=0), want)
    isi = np.diff(np.flatnonzero(spikes[:, 0]))
    assert set(isi) == {cuba.uncoupled_period_steps()} == {530}  # 5 ms + 48.0 ms


def test_cuba_rates_match_the_numpy_reference_and_inhibition_lowers_them():
    cuba = _import_example("06_cuba_network")
    conn = cuba.build(400, seed=0)  # the --quick network
    n_exc, steps = conn["n_exc"], 2000
    e, i = cuba.rates(cuba.run(conn, duration=200.0)["spikes"], n_exc, 200.0)
    # Brian's scheme in NumPy (exact sub-threshold integration): the rates agree within 1 %
    # over seeds 0-5; the spike trains themselves diverge (the network is chaotic)
    ref_e, ref_i = cuba.rates(cuba.reference_numpy(conn, steps), n_exc, 200.0)
    assert abs(e / ref_e - 1) < 0.05 and abs(i / ref_i - 1) < 0.05, (e, i, ref_e, ref_i)
    assert 5.0 < e < 18.0  # below the uncoupled 18.9 Hz: the recurrent inhibition wins
    more_inh = cuba.rates(cuba.run(conn, 200.0, w_i=2 * cuba.PARAMS["w_i"])["spikes"],
                          n_exc, 200.0)
    assert more_inh[0] < 0.9 * e and more_inh[1] < i
