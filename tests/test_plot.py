"""spikax.plot: each helper draws its inputs, population_rate's numbers, errors, lazy import."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import saiunit as u

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import spikax  # noqa: E402
from spikax import plot  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.fixture
def spikes():
    rng = np.random.default_rng(0)
    return rng.random((200, 7)) < 0.05


# ---------------------------------------------------------------------------------- numbers
def test_population_rate_raw_is_spikes_per_neuron_per_second(spikes):
    dt = 0.1  # ms
    want = spikes.sum(axis=1) / (spikes.shape[1] * dt * 1e-3)
    np.testing.assert_array_equal(plot.population_rate(spikes, dt), want)
    np.testing.assert_array_equal(plot.population_rate(spikes, 0.1 * u.ms), want)
    np.testing.assert_allclose(plot.population_rate(spikes.astype(float), 1e-4 * u.second),
                               want, rtol=1e-12)


def test_population_rate_boxcar_by_hand(spikes):
    dt, window = 0.1, 0.5  # 5 rows
    raw = spikes.sum(axis=1) / (spikes.shape[1] * dt * 1e-3)
    got = plot.population_rate(spikes, dt, window=window)
    T = len(raw)
    for k in (0, 1, 2, 57, T - 2, T - 1):
        lo, hi = max(0, k - 2), min(T, k + 3)   # centred, cut at the ends
        assert got[k] == pytest.approx(raw[lo:hi].mean(), rel=1e-12)
    # an even width is rounded up to the next odd one: 0.4 ms -> 4 rows -> 5 rows
    np.testing.assert_allclose(plot.population_rate(spikes, dt, window=0.4), got, rtol=1e-12)
    # a window shorter than a step leaves the raw rate
    np.testing.assert_allclose(plot.population_rate(spikes, dt, window=0.01), raw, rtol=1e-12)


def test_population_rate_gaussian_by_hand(spikes):
    dt, sigma = 0.1, 0.3  # 3 rows
    raw = spikes.sum(axis=1) / (spikes.shape[1] * dt * 1e-3)
    got = plot.population_rate(spikes, dt, window=sigma * u.ms, kind="gaussian")
    T, j = len(raw), np.arange(-12, 13)
    w = np.exp(-0.5 * (j / 3.0) ** 2)
    for k in (0, 5, 100, T - 1):
        inside = (k - j >= 0) & (k - j < T)
        want = np.sum(w[inside] * raw[(k - j)[inside]]) / w[inside].sum()
        assert got[k] == pytest.approx(want, rel=1e-12)
    # a constant rate stays constant (the edge correction divides by the mass inside)
    flat = np.ones((50, 2), bool)
    np.testing.assert_allclose(plot.population_rate(flat, 1.0, window=10.0, kind="gaussian"),
                               1000.0, rtol=1e-12)


def test_population_rate_of_a_simulation_result(dt):
    import brainstate

    lif = spikax.LIF(4, tau=5 * u.ms)
    lif.init_state()
    res = spikax.simulate(lif, lambda t: 3 * u.mA, steps=100, record="spike")
    raw = np.asarray(res["spike"]).sum(axis=1) / (4 * dt * 1e-3)
    np.testing.assert_allclose(plot.population_rate(res), raw, rtol=1e-12)
    assert brainstate.environ.get_dt() == 0.1 * u.ms


# ---------------------------------------------------------------------------------- drawing
def test_raster_offsets_are_the_spike_coordinates(spikes, ax):
    out = plot.raster(spikes, dt=0.1 * u.ms, t0=2.0, ax=ax)
    assert out is ax
    k, i = np.nonzero(spikes)
    np.testing.assert_allclose(ax.collections[0].get_offsets(),
                               np.column_stack([2.0 + 0.1 * k, i]), rtol=1e-12)
    assert ax.get_xlabel() == "time (ms)"
    plot.raster(spikes[:, 3:], dt=0.1, ax=ax, offset=3, color="r")  # a sub-population
    k, i = np.nonzero(spikes[:, 3:])
    np.testing.assert_allclose(ax.collections[1].get_offsets(),
                               np.column_stack([0.1 * k, 3 + i]), rtol=1e-12)


def test_raster_without_times_uses_steps_and_accepts_floats(spikes, ax):
    plot.raster(spikes.astype(np.float32), ax=ax)
    k, i = np.nonzero(spikes)
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), np.column_stack([k, i]))
    assert ax.get_xlabel() == "step"


def test_raster_of_a_simulation_result(ax):
    lif = spikax.LIF(3, tau=5 * u.ms)
    lif.init_state()
    res = spikax.simulate(lif, lambda t: 3 * u.mA, steps=60, record="spike", spikes="bool",
                          t0=1.0 * u.ms)
    plot.raster(res, ax=ax)
    k, i = np.nonzero(np.asarray(res["spike"]))
    np.testing.assert_allclose(ax.collections[0].get_offsets(),
                               np.column_stack([1.0 + 0.1 * k, i]), rtol=1e-12)


def test_raster_new_figure():
    ax = plot.raster(np.eye(3, dtype=bool))
    assert ax.collections[0].get_offsets().shape == (3, 2)
    plt.close(ax.figure)


def test_rate_line_is_population_rate(spikes, ax):
    plot.rate(spikes, dt=0.1, window=1.0, ax=ax, kind="gaussian")
    x, y = ax.lines[-1].get_data()
    np.testing.assert_allclose(x, 0.1 * np.arange(len(spikes)), rtol=1e-12)
    np.testing.assert_allclose(y, plot.population_rate(spikes, 0.1, 1.0, "gaussian"))
    assert ax.get_ylabel() == "rate (Hz)"


def test_voltage_lines_markers_and_threshold(ax):
    t = np.arange(6) * 0.1 * u.ms
    V = np.array([[0.0, 1.0], [0.5, 0.2], [1.2, 0.3], [0.0, 1.5], [0.4, 0.1],
                  [0.9, 0.2]]) * u.mV
    spikes = np.asarray(V.to_decimal(u.mV)) >= 1.0
    plot.voltage(t, V, spikes=spikes, threshold=np.full((6, 2), 1.0), ax=ax,
                 labels=["a", "b"])
    lines = ax.lines
    assert len(lines) == 2 + 2 + 2  # traces, thresholds, markers of both neurons
    np.testing.assert_allclose(lines[0].get_xdata(), 0.1 * np.arange(6), rtol=1e-12)
    np.testing.assert_array_equal(lines[0].get_ydata(), V.to_decimal(u.mV)[:, 0])
    np.testing.assert_array_equal(lines[1].get_ydata(), V.to_decimal(u.mV)[:, 1])
    np.testing.assert_array_equal(lines[2].get_ydata(), np.ones(6))
    np.testing.assert_allclose(lines[4].get_xdata(), [0.2], rtol=1e-12)
    np.testing.assert_array_equal(lines[4].get_ydata(), [1.2])
    np.testing.assert_array_equal(lines[5].get_ydata(), [1.0, 1.5])


def test_voltage_converts_units(ax):
    plot.voltage(np.arange(3) * 1e-4 * u.second, np.array([-0.07, -0.06, -0.05]) * u.volt,
                 threshold=-55 * u.mV, ax=ax)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.0, 0.1, 0.2], rtol=1e-12)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [-70.0, -60.0, -50.0], rtol=1e-12)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [-55.0, -55.0], rtol=1e-12)


def test_fi_curve(ax):
    currents = np.array([0.5, 1.0, 2.0]) * u.mA
    plot.fi_curve(currents, [0.0, 5.0, 40.0] * u.Hz, predicted=[0.0, 4.0, 41.0], ax=ax, label="sim")
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [0.0, 4.0, 41.0])
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [0.5, 1.0, 2.0])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [0.0, 5.0, 40.0])
    assert ax.get_xlabel() == "I (mA)"


# ---------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, name", [
    (lambda: plot.raster(np.zeros((3, 2, 2), bool)), "`spikes`"),
    (lambda: plot.raster(np.zeros((3, 2), bool), t=np.arange(4)), "`t`"),
    (lambda: plot.raster(np.zeros((3, 2), bool), dt=-1.0), "`dt`"),
    (lambda: plot.population_rate(np.zeros((3, 2), bool)), "`dt`"),
    (lambda: plot.population_rate(np.zeros((3, 2), bool), 0.1, window=1.0, kind="hann"),
     "`kind`"),
    (lambda: plot.population_rate(np.zeros((3, 2), bool), 0.1, window=0.0), "`window`"),
    (lambda: plot.voltage(np.arange(3), np.zeros(4)), "`V`"),
    (lambda: plot.voltage(np.arange(3), np.zeros((3, 2)), spikes=np.zeros(3)), "`spikes`"),
    (lambda: plot.voltage(np.arange(3), np.zeros((3, 2)), threshold=np.zeros(2)),
     "`threshold`"),
    (lambda: plot.voltage(np.zeros((3, 1)), np.zeros(3)), "`t`"),
    (lambda: plot.fi_curve([1.0, 2.0], [1.0]), "`rates`"),
    (lambda: plot.fi_curve(np.zeros((2, 2)), np.zeros((2, 2))), "`currents`"),
])
def test_bad_inputs_name_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_wrong_units_name_the_argument():
    with pytest.raises(spikax.UnitError, match="`V`"):
        plot.voltage(np.arange(3) * u.ms, np.zeros(3) * u.mA)
    with pytest.raises(spikax.UnitError, match="`currents`"):
        plot.fi_curve([1.0, 2.0] * u.mV, [1.0, 2.0])


def test_result_without_spike_record():
    lif = spikax.LIF(2)
    lif.init_state()
    res = spikax.simulate(lif, lambda t: 3 * u.mA, steps=5, record="V")
    with pytest.raises(ValueError, match="no 'spike' record"):
        plot.raster(res)


# ---------------------------------------------------------------------------------- imports
def _run(code):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_import_spikax_imports_no_matplotlib_of_its_own():
    # saiunit and braintools (dependencies) import matplotlib themselves when it is
    # installed (unit converters, braintools.visualize), so compare with what the
    # dependencies import on their own: spikax and spikax.plot add nothing.
    _run("""
        import sys
        import brainstate, braintools, jax, numpy, saiunit
        before = {m for m in sys.modules if m.split('.')[0] == 'matplotlib'}
        import spikax, spikax.plot
        after = {m for m in sys.modules if m.split('.')[0] == 'matplotlib'}
        assert after == before, sorted(after - before)
    """)


def test_without_matplotlib_a_clear_import_error():
    out = _run("""
        import sys
        import numpy as np
        import spikax
        # braintools (a dependency) requires matplotlib, so hide it after the import
        for name in [m for m in sys.modules if m.split('.')[0] == 'matplotlib']:
            sys.modules[name] = None
        assert spikax.plot.population_rate(np.ones((2, 1), bool), 1.0).tolist() == [1e3, 1e3]
        try:
            spikax.plot.raster(np.ones((2, 1), bool))
        except ImportError as e:
            print(e)
        else:
            raise SystemExit('no ImportError')
    """)
    assert "pip install 'spikax[plot]'" in out
