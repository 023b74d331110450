"""Plotting helpers: voltage traces, spike rasters, population rates and f-I curves.

matplotlib is the ``plot`` extra (``pip install 'spikax[plot]'``). spikax imports it only
inside the drawing functions (``import spikax`` adds no matplotlib module of its own; some
dependencies may import it); without it they raise an ``ImportError`` that says how to
install it. :func:`population_rate` needs only NumPy.

Every drawing function takes ``ax=None`` (draw on a new figure) or an existing matplotlib
``Axes``, and returns the ``Axes`` it drew on. Times and voltages may be saiunit Quantities
(converted to ms and mV) or plain arrays (read as ms and mV); spikes may be bool or float
0/1 arrays with time first, or a :class:`spikax.SimulationResult` that recorded ``'spike'``.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import matplotlib.pyplot as plt
>>> import numpy as np
>>> from spikax import plot
>>> spikes = np.zeros((100, 3), bool)
>>> spikes[[10, 40, 70], [0, 1, 2]] = True
>>> fig, (top, bottom) = plt.subplots(2, 1)
>>> plot.raster(spikes, dt=0.1, ax=top) is top
True
>>> plot.rate(spikes, dt=0.1, window=2.0, ax=bottom) is bottom
True
>>> plt.close(fig)
"""

from __future__ import annotations

import numpy as np
import saiunit as u

from ._units import MS, MV, PA, to_internal

__all__ = ["voltage", "raster", "rate", "population_rate", "fi_curve"]

_HZ = u.Hz
_WINDOWS = ("boxcar", "gaussian")
_INSTALL = ("spikax.plot needs matplotlib, which is not installed. Install it with\n"
            "    pip install 'spikax[plot]'   (or: pip install matplotlib)")


# ---------------------------------------------------------------------------------- helpers
def _pyplot():
    """``matplotlib.pyplot``, imported now; an ``ImportError`` with the fix if missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(_INSTALL) from e
    return plt


def _axes(ax):
    """``ax``, or the axes of a new figure when ``ax`` is None."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _array(x, unit, name, owner):
    """``x`` as a float NumPy array in ``unit`` (a bare array is read as already in it)."""
    if x is None:
        raise ValueError(f"{owner}: `{name}` is required.")
    return np.asarray(to_internal(x, unit, name=name, owner=owner, allow_bare=True),
                      dtype=float)


def _scalar_ms(x, name, owner, *, positive=True):
    value = _array(x, MS, name, owner)
    if value.ndim != 0 or not np.isfinite(value) or (positive and not value > 0):
        raise ValueError(f"{owner}: `{name}` must be a {'positive ' * positive}scalar time "
                         f"(ms or a time Quantity); got {x!r}.")
    return float(value)


def _spike_array(spikes, owner):
    """``(spikes as a (T, N) bool array, times in ms or None)`` from an array or a result."""
    t = None
    if hasattr(spikes, "records") and hasattr(spikes, "t"):  # a SimulationResult
        if "spike" not in spikes.records:
            raise ValueError(f"{owner}: the SimulationResult has no 'spike' record (recorded: "
                             f"{sorted(spikes.records)}); simulate with record=('spike', ...).")
        t = _array(spikes.t, MS, "spikes.t", owner)
        spikes = spikes.records["spike"]
    arr = np.asarray(u.get_mantissa(spikes))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{owner}: `spikes` must have shape (T,) or (T, N) with time first; got shape "
            f"{arr.shape}. Select one batch row first (e.g. spikes[:, 0]), or use "
            f"spikes.reshape(T, -1). (A result recorded with spikes='counts' has no time axis.)")
    if arr.dtype != bool and not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{owner}: `spikes` must be bool or numeric; got dtype {arr.dtype}.")
    return arr > 0, t


def _times(n_steps, t, dt, t0, owner):
    """Times (ms) of ``n_steps`` rows: ``t`` if given, else ``t0 + k * dt``, else None."""
    if t is not None:
        times = _array(t, MS, "t", owner)
        if times.shape != (n_steps,):
            raise ValueError(f"{owner}: `t` must have shape ({n_steps},) (one time per row of "
                             f"`spikes`); got shape {times.shape}.")
        return times
    if dt is None:
        return None
    t0 = _array(t0, MS, "t0", owner)
    if t0.ndim != 0:
        raise ValueError(f"{owner}: `t0` must be a scalar time; got shape {t0.shape}.")
    return float(t0) + _scalar_ms(dt, "dt", owner) * np.arange(n_steps)


# ---------------------------------------------------------------------------------- numbers
def population_rate(spikes, dt=None, window=None, kind: str = "boxcar") -> np.ndarray:
    r"""Population firing rate in Hz, per time step, optionally smoothed.

    The raw rate of step $k$ is $r_k = \frac{1}{N\,\Delta t}\sum_i s_{k,i}$ (spikes per
    neuron per second). With a ``window`` it is smoothed by a normalised kernel $w$:
    $\bar r_k = \sum_j w_j r_{k-j} / \sum_{j:\,0 \le k-j < T} w_j$, i.e. near the ends the
    average is taken over the part of the window inside the record (no zero padding).

    Parameters
    ----------
    spikes : array_like or SimulationResult
        Spikes with time first, shape ``(T, N)`` (or ``(T,)`` for one neuron), bool or float
        0/1; or a :class:`spikax.SimulationResult` with a ``'spike'`` record.
    dt : Quantity or float, optional
        Time between rows [ms]. For a ``SimulationResult`` the default is the spacing of
        ``result.t`` (with ``every > 1`` the rows are a subsample of the steps, so the rate
        only counts the recorded steps).
    window : Quantity or float, optional
        Smoothing width [ms]: the full width of the boxcar, or the standard deviation of the
        gaussian. None: no smoothing.
    kind : {'boxcar', 'gaussian'}, default 'boxcar'
        ``'boxcar'``: a centred moving average over ``round(window / dt)`` rows, rounded up
        to an odd number; ``'gaussian'``: a gaussian of standard deviation ``window``
        truncated at 4 standard deviations.

    Returns
    -------
    numpy.ndarray
        Shape ``(T,)``, in Hz.

    Examples
    --------
    >>> import numpy as np
    >>> from spikax.plot import population_rate
    >>> spikes = np.array([[1, 0], [0, 0], [1, 1], [0, 0]], bool)   # 2 neurons, dt = 1 ms
    >>> population_rate(spikes, dt=1.0).tolist()
    [500.0, 0.0, 1000.0, 0.0]
    >>> population_rate(spikes, dt=1.0, window=3.0).tolist()    # 3-step moving average
    [250.0, 500.0, 333.3333333333333, 500.0]
    """
    owner = "population_rate"
    arr, t = _spike_array(spikes, owner)
    if dt is None:
        if t is not None and t.size > 1:
            dt = float(t[1] - t[0])
        elif t is not None:
            dt = float(to_internal(spikes.dt, MS, name="spikes.dt", owner=owner,
                                   allow_bare=True))
        else:
            raise ValueError(f"{owner}: `dt` is required (the time between rows of `spikes`).")
    dt = _scalar_ms(dt, "dt", owner)
    if arr.shape[1] == 0:
        raise ValueError(f"{owner}: `spikes` has no neurons (shape {arr.shape}).")
    raw = arr.sum(axis=1) / (arr.shape[1] * dt * 1e-3)
    if window is None:
        return raw
    if not isinstance(kind, str) or kind not in _WINDOWS:
        raise ValueError(f"{owner}: `kind` must be one of {_WINDOWS}; got {kind!r}.")
    width = _scalar_ms(window, "window", owner) / dt
    if kind == "boxcar":
        n = max(1, int(round(width)))
        n += 1 - n % 2
        kernel = np.ones(n)
    else:
        half = int(np.ceil(4 * width))
        x = np.arange(-half, half + 1)
        kernel = np.exp(-0.5 * (x / width) ** 2)
    h = kernel.size // 2  # the kernel has odd length: entry h is its centre
    num = np.convolve(raw, kernel)[h:h + raw.size]
    den = np.convolve(np.ones_like(raw), kernel)[h:h + raw.size]
    return num / den


# ---------------------------------------------------------------------------------- drawing
def voltage(t, V, spikes=None, threshold=None, ax=None, *, labels=None, marker="^",
            marker_color="C3", **line_kwargs):
    """Draw membrane-potential traces, with spike markers and the threshold if given.

    Parameters
    ----------
    t : Quantity or array_like, shape (T,)
        Times [ms].
    V : Quantity or array_like, shape (T,) or (T, n)
        Membrane potential [mV], one line per column.
    spikes : array_like, optional
        Same shape as ``V`` (bool or float 0/1): a marker is drawn at ``(t[k], V[k, i])``
        where neuron ``i`` spiked at step ``k``.
    threshold : Quantity or array_like, optional
        Firing threshold [mV]: a scalar (horizontal line), shape ``(T,)`` (one dynamic
        threshold) or the shape of ``V`` (one per neuron); drawn dashed.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    labels : sequence of str, optional
        Legend labels, one per column of ``V``.
    marker : str, default '^'
        Marker of the spikes.
    marker_color : str, default 'C3'
        Colour of the spike markers.
    **line_kwargs
        Passed to ``ax.plot`` for the voltage lines.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with the voltage lines first, then the threshold lines, then one marker
        line per neuron that spiked.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np, saiunit as u
    >>> from spikax import plot
    >>> t = np.arange(5) * 0.1 * u.ms
    >>> V = np.array([0.0, 0.5, 1.2, 0.0, 0.4]) * u.mV
    >>> fig, ax = plt.subplots()
    >>> ax = plot.voltage(t, V, spikes=V >= 1 * u.mV, threshold=1 * u.mV, ax=ax)
    >>> [line.get_ydata().tolist() for line in ax.lines]
    [[0.0, 0.5, 1.2, 0.0, 0.4], [1.0, 1.0], [1.2]]
    >>> plt.close(fig)
    """
    owner = "voltage"
    times = _array(t, MS, "t", owner)
    if times.ndim != 1:
        raise ValueError(f"{owner}: `t` must be 1-D (one time per row of `V`); got shape "
                         f"{times.shape}.")
    v = _array(V, MV, "V", owner)
    if v.ndim == 1:
        v = v[:, None]
    if v.ndim != 2 or v.shape[0] != times.size:
        raise ValueError(f"{owner}: `V` must have shape ({times.size},) or ({times.size}, n) "
                         f"(time first, matching `t`); got shape {np.shape(u.get_mantissa(V))}.")
    n = v.shape[1]
    if labels is not None and len(labels) != n:
        raise ValueError(f"{owner}: `labels` must have one entry per trace ({n}); got "
                         f"{len(labels)}.")
    spk = None
    if spikes is not None:
        spk = np.asarray(u.get_mantissa(spikes))
        spk = spk[:, None] if spk.ndim == 1 else spk
        if spk.shape != v.shape:
            raise ValueError(f"{owner}: `spikes` must have the shape of `V` {v.shape}; got "
                             f"{np.shape(u.get_mantissa(spikes))}.")
        spk = spk > 0
    th = None
    if threshold is not None:
        th = _array(threshold, MV, "threshold", owner)
        if th.ndim == 1 and th.shape == (times.size,):
            th = th[:, None]
        if not (th.ndim == 0 or th.shape in ((times.size, 1), v.shape)):
            raise ValueError(f"{owner}: `threshold` must be a scalar, shape ({times.size},) or "
                             f"the shape of `V` {v.shape}; got {th.shape}.")

    ax = _axes(ax)
    for i in range(n):
        ax.plot(times, v[:, i], label=None if labels is None else labels[i], **line_kwargs)
    if th is not None:
        if th.ndim == 0:
            ax.plot([times[0], times[-1]], [float(th), float(th)], color="grey", ls="--",
                    lw=0.8, label="threshold")
        else:
            for i in range(th.shape[1]):
                ax.plot(times, th[:, i], color="grey", ls="--", lw=0.8,
                        label="threshold" if i == 0 else None)
    if spk is not None:
        for i in range(n):
            k = np.flatnonzero(spk[:, i])
            if k.size:
                ax.plot(times[k], v[k, i], ls="none", marker=marker, color=marker_color,
                        ms=5, label="spike" if i == 0 else None)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("V (mV)")
    if labels is not None:
        ax.legend(fontsize=8)
    return ax


def raster(spikes, t=None, dt=None, ax=None, *, t0=0.0, offset=0, marker="|", s=4.0,
           color="k", **scatter_kwargs):
    """Draw a spike raster: one dot per spike at (time, neuron index).

    Parameters
    ----------
    spikes : array_like or SimulationResult
        Spikes with time first, shape ``(T, N)`` (or ``(T,)``), bool or float 0/1; or a
        :class:`spikax.SimulationResult` with a ``'spike'`` record (its ``t`` is used).
    t : Quantity or array_like, shape (T,), optional
        Time of each row [ms].
    dt : Quantity or float, optional
        Time between rows [ms] when ``t`` is not given: row ``k`` is at ``t0 + k * dt``.
        Without ``t`` and ``dt`` the x axis is the step index.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    t0 : Quantity or float, default 0
        Time of the first row [ms] (with ``dt``).
    offset : int, default 0
        Index of the first column: neuron ``i`` is drawn at ``offset + i`` (to draw
        sub-populations of one network in their own colours on the same axes).
    marker : str, default '|'
        Marker style.
    s : float, default 4
        Marker size (points squared).
    color : str, default 'k'
        Marker colour.
    **scatter_kwargs
        Passed to ``ax.scatter``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.collections[-1].get_offsets()`` are the ``(time, index)`` pairs, in
        the row-major order of ``numpy.nonzero(spikes)``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from spikax import plot
    >>> spikes = np.array([[0, 1], [1, 0], [0, 0]], bool)
    >>> fig, ax = plt.subplots()
    >>> ax = plot.raster(spikes, dt=0.5, ax=ax)
    >>> ax.collections[0].get_offsets().tolist()
    [[0.0, 1.0], [0.5, 0.0]]
    >>> plt.close(fig)
    """
    owner = "raster"
    arr, t_res = _spike_array(spikes, owner)
    times = _times(arr.shape[0], t if t is not None else t_res, dt, t0, owner)
    k, i = np.nonzero(arr)
    x = k.astype(float) if times is None else times[k]
    ax = _axes(ax)
    ax.scatter(x, i + int(offset), marker=marker, s=s, c=color,
               linewidths=0.6 if marker == "|" else None, **scatter_kwargs)
    ax.set_xlabel("step" if times is None else "time (ms)")
    ax.set_ylabel("neuron")
    return ax


def rate(spikes, dt=None, window=5.0, ax=None, *, kind: str = "boxcar", t=None, t0=0.0,
         **line_kwargs):
    """Draw the population firing rate (Hz) over time, smoothed by a window.

    Parameters
    ----------
    spikes : array_like or SimulationResult
        As for :func:`population_rate`.
    dt : Quantity or float, optional
        Time between rows [ms] (see :func:`population_rate`).
    window : Quantity or float or None, default 5 ms
        Smoothing width [ms] (None: the raw per-step rate).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    kind : {'boxcar', 'gaussian'}, default 'boxcar'
        Window shape (see :func:`population_rate`).
    t : Quantity or array_like, shape (T,), optional
        Time of each row [ms]; default ``result.t`` for a result, else ``t0 + k * dt``.
    t0 : Quantity or float, default 0
        Time of the first row [ms] when ``t`` is not given.
    **line_kwargs
        Passed to ``ax.plot``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.lines[-1]`` holds (time in ms, rate in Hz).
    """
    owner = "rate"
    arr, t_res = _spike_array(spikes, owner)
    r = population_rate(spikes, dt, window, kind)
    times = _times(arr.shape[0], t if t is not None else t_res, dt, t0, owner)
    ax = _axes(ax)
    ax.plot(times, r, **line_kwargs)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    return ax


def fi_curve(currents, rates, ax=None, *, predicted=None, label=None, **line_kwargs):
    """Draw a firing-rate (f-I) curve, optionally against a prediction.

    Parameters
    ----------
    currents : Quantity or array_like, shape (n,)
        Input currents. A Quantity is drawn in its own unit (e.g. mA, pA); a plain array is
        drawn as is (give the unit in the label).
    rates : Quantity or array_like, shape (n,)
        Firing rates [Hz] (a frequency Quantity is converted to Hz).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    predicted : Quantity or array_like, shape (n,), optional
        Predicted rates [Hz] (e.g. a closed form), drawn as a black line under the points.
    label : str, optional
        Legend label of the simulated points.
    **line_kwargs
        Passed to ``ax.plot`` for the simulated points.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; the simulated points are ``ax.lines[-1]``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import saiunit as u
    >>> from spikax import plot
    >>> fig, ax = plt.subplots()
    >>> ax = plot.fi_curve([0.5, 1.0, 2.0] * u.mA, [0.0, 0.0, 10.0], ax=ax)
    >>> ax.lines[-1].get_xdata().tolist(), ax.get_xlabel()
    ([0.5, 1.0, 2.0], 'I (mA)')
    >>> plt.close(fig)
    """
    owner = "fi_curve"
    if isinstance(currents, u.Quantity):
        unit = currents.unit
        to_internal(currents, PA, name="currents", owner=owner)  # checks the dimension
        x = np.asarray(currents.to_decimal(unit), dtype=float)
        xlabel = f"I ({unit})"
    else:
        x = np.asarray(currents, dtype=float)
        xlabel = "I"
    if x.ndim != 1:
        raise ValueError(f"{owner}: `currents` must be 1-D; got shape {x.shape}.")
    y = _array(rates, _HZ, "rates", owner)
    if y.shape != x.shape:
        raise ValueError(f"{owner}: `rates` must have the shape of `currents` {x.shape}; got "
                         f"{y.shape}.")
    p = None
    if predicted is not None:
        p = _array(predicted, _HZ, "predicted", owner)
        if p.shape != x.shape:
            raise ValueError(f"{owner}: `predicted` must have the shape of `currents` "
                             f"{x.shape}; got {p.shape}.")
    ax = _axes(ax)
    if p is not None:
        ax.plot(x, p, "k-", lw=1.0, label="predicted")
    style = dict(marker="o", ms=4, ls="none" if p is not None else "-")
    style.update(line_kwargs)
    ax.plot(x, y, label=label, **style)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("rate (Hz)")
    if p is not None or label is not None:
        ax.legend(fontsize=8)
    return ax
