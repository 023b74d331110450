"""Neuron tiling for :func:`spikax.simulate`: run an uncoupled population tile by tile.

A population of independent neurons can be simulated in any order: all ``T`` steps of the
first few thousand neurons, then all ``T`` steps of the next ones, and so on. The per-step
loop over the whole population streams every state through memory once per step (for a
large population, from DRAM or L3); the tiled loop keeps one tile's states in the core's
own cache for all ``T`` steps, so only the inputs and records move. The arithmetic is the
same, element by element: identical spikes, and values equal to the last bit, except that
XLA may constant-fold a transcendental of a per-neuron parameter (``exp(-dt / tau)``) for
the whole population and compute it at run time for a tile, which can round differently
by an ulp (``tests/test_tiling.py``).

The tiles are ``tile`` neurons wide and start at ``min(i * tile, N - tile)``. The number of
tiles is rounded up to a divisor of ``N`` when one lies within a factor of two (LIF, N = 1e6:
200 tiles of 5000 rather than 184 of 5435), since tiles that divide the population ran
~10 % faster in the memory-light LIF loop (jax 0.12; the cause is not in the HLO, which is
the same). Otherwise the tiles are balanced and the last one overlaps the one before: the
overlapping neurons are simulated twice with the same result (no padding, one traced tile
body).

A plan is only made when every neuron is provably on its own: a single spikax neuron
module (no sub-modules), no randomness (:meth:`spikax.Neuron._independent_neurons`), no
registered or pending inputs (they are evaluated for the whole population), states and
per-neuron parameters laid out as ``(batch?, N, ...)``, and inputs that are per-neuron
constants, per-step arrays, or callables whose value has no neuron axis.
"""

from __future__ import annotations

import contextlib
import functools
import os
from typing import NamedTuple

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import saiunit as u

__all__ = ["TilePlan", "plan_tiles", "tile_view", "population_view", "slice_neurons",
           "join_tiles", "call_at", "eligibility"]

#: Bytes per tile the automatic size aims at: the states, plus ``EXTRA_BYTES`` per neuron for
#: its input and spike count. Counts only: about two L1 caches; a run that records per step
#: writes one row segment per tile and step, and longer segments pay off. Sweeps on a 2-core
#: AMD EPYC (jax 0.12, float32, neuron-steps/s): LIF 1e6 counts 1.05e10 with 2500-5000-neuron
#: tiles, 9.1-9.8e9 with 20000; LIF 1e6 bool raster 7.9e9 with 5000, 9.4e9 with 20000-40000;
#: GifRef, AdExIFRef, GLIF5 and iaf_psc_alpha within 5 % from 512 to 8192 (counts) and from
#: 2000 to 20000 (GifRef rasters).
TARGET_BYTES = 64 * 1024
TARGET_BYTES_RECORDING = 256 * 1024
EXTRA_BYTES = 8
#: Bounds of the automatic tile size (below, the loop overhead per step dominates).
MIN_TILE, MAX_TILE = 1024, 65536


class TilePlan(NamedTuple):
    """Static description of a tiled run (hashable: it is part of the compile-cache key)."""

    n: int  # neurons
    tile: int  # neurons per tile
    n_tiles: int
    batched: bool  # states are (batch, N, ...): the neuron axis is 1, else 0
    hoist: bool  # a callable input whose value is per-neuron and constant in time

    @property
    def axis(self) -> int:
        """The neuron axis of a state (and of a step's output)."""
        return 1 if self.batched else 0


def _mantissa_shape(value):
    return tuple(np.shape(u.get_mantissa(value)))


def call_at(fn, t):
    """``fn(t)`` as the loop calls it: with ``t`` also in ``brainstate.environ``."""
    with brainstate.environ.context(t=t):
        return fn(t)


def _depends_on_input(fn, t_ms) -> bool:
    """True when ``fn(t)``'s value depends on ``t`` (data flow through the traced jaxpr; a
    callable that reads the time from ``brainstate.environ`` counts too)."""
    closed = jax.make_jaxpr(lambda tm: jax.tree_util.tree_leaves(
        u.get_mantissa(call_at(fn, tm * u.ms))))(t_ms)
    live = {id(v) for v in closed.jaxpr.invars}  # literals are never in `live`
    for eqn in closed.jaxpr.eqns:
        if any(id(v) in live for v in eqn.invars):
            live.update(id(v) for v in eqn.outvars)
    return any(id(v) in live for v in closed.jaxpr.outvars)


def eligibility(model, nodes, states, kind, fn, xs, records, neurons, spikes, shots,
                progress, batch):
    """``(why, hoist)``: the reason ``model``'s neurons cannot run apart, in tiles or in
    per-device slices (None when they can), and whether a callable input is a per-neuron
    constant to evaluate once."""
    from ._base import Neuron

    if not isinstance(model, Neuron):
        return "the model is not a single spikax neuron population", False
    if len(nodes) != 1:
        return "the model has sub-modules", False
    if len(model.varshape) != 1:
        return f"the population shape {tuple(model.varshape)} is not one-dimensional", False
    if not model._independent_neurons():
        return "the neurons are not independent and deterministic (e.g. noise)", False
    if model._current_inputs or model._delta_inputs or shots:
        return "inputs are registered on the model (add_current_input/add_delta_input)", False
    if progress:
        return "a progress bar is requested", False
    if neurons is not None and any(not (name == "spike" and spikes == "counts")
                                   for name, _ in records):
        return "`neurons` selects a subset of a recorded raster", False
    n = int(model.varshape[0])
    lead = (batch, n) if batch is not None else (n,)
    for path, st in states.items():
        shape = _mantissa_shape(st.value)
        if shape and shape[:len(lead)] != lead:
            return f"state {path!r} has shape {shape}, not (batch?, {n}, ...)", False
    hoist = False
    if kind == "array":
        shape = _mantissa_shape(xs)[1:]
        if shape and shape[-1] not in (1, n):
            return f"the inputs' last axis has size {shape[-1]}, not 1 or {n}", False
    elif kind == "callable":
        out = jax.eval_shape(lambda: u.get_mantissa(call_at(fn, 0.0 * u.ms)))
        if not hasattr(out, "shape"):
            return "the callable input does not return one array", False
        if out.shape and out.shape[-1] not in (1, n):
            return (f"the callable input's last axis has size {out.shape[-1]}, not 1 or "
                    f"{n}"), False
        if out.shape and out.shape[-1] == n != 1:
            if _depends_on_input(fn, jnp.zeros((), jnp.result_type(float))):
                return "the callable input is per-neuron and changes with time", False
            hoist = True
    return None, hoist


def _bytes_per_neuron(states, n) -> int:
    total = 0
    for st in states.values():
        m = u.get_mantissa(st.value)
        size = int(np.prod(np.shape(m)))
        if size >= n:
            total += size // n * np.dtype(m.dtype).itemsize
    return max(total, 1)


def plan_tiles(tile, model, nodes, states, kind, fn, xs, records, neurons, spikes, shots,
               progress, batch, local=None):
    """A :class:`TilePlan`, or None for the untiled loop.

    ``tile``: ``'auto'`` (tile when possible and the population is at least two tiles),
    None/False (never), or a number of neurons per tile (a ``ValueError`` saying why when
    the model cannot be tiled). ``local``: the number of neurons each device runs when the
    population is split over devices (the tiles are then tiles of that slice).
    """
    if tile is None or tile is False or (isinstance(tile, str) and not auto_tiles_pay()):
        return None
    try:
        why, hoist = eligibility(model, nodes, states, kind, fn, xs, records, neurons, spikes,
                              shots, progress, batch)
    except Exception as err:  # e.g. a callable input that fails when traced at t = 0
        if isinstance(tile, str):
            return None  # 'auto': the plain loop runs, and reports the error if it recurs
        raise ValueError(f"simulate: `tile={tile}` cannot be used here: inspecting the "
                         f"inputs failed ({type(err).__name__}: {err}).") from err
    if isinstance(tile, str):
        if why is not None:
            return None
        per = (_bytes_per_neuron(states, int(model.varshape[0])) + EXTRA_BYTES) * (batch or 1)
        n = int(model.varshape[0]) if local is None else local
        recording = any(not (name == "spike" and spikes == "counts") for name, _ in records)
        target = TARGET_BYTES_RECORDING if recording else TARGET_BYTES
        size = int(np.clip(target // per, MIN_TILE, MAX_TILE))
        if n < 2 * size:
            return None
    else:
        if why is not None:
            raise ValueError(f"simulate: `tile={tile}` cannot be used here: {why} (tiles need "
                             f"independent neurons). Use tile='auto' or tile=None.")
        n = int(model.varshape[0]) if local is None else local
        size = min(int(tile), n)
    n_tiles = _tile_count(n, size)
    size = -(-n // n_tiles)  # balanced tiles: the last overlaps the previous one least
    return TilePlan(n, size, n_tiles, batch is not None, hoist)


@functools.cache
def auto_tiles_pay() -> bool:
    """Whether ``tile='auto'`` tiles at all: only on the CPU, and only where XLA runs a loop
    on one thread anyway.

    On a GPU or TPU a tile would leave most of the device idle. On the CPU, jax 0.12's XLA
    moves every ``while`` loop into a single-threaded call (tagged ``xla_cpu_small_call``),
    so tiles lose nothing and keep the states in cache. Older XLA (jax 0.10) splits each
    fusion of the plain loop over the cores, which beat tiles on 2 cores for the compute-heavy
    models (AdExIFRef 0.4x, GLIF5 0.6x, LIF 1e6 counts 0.7x tiled), so there ``'auto'`` runs
    the plain loop unless the machine has a single core; ``tile=K`` still tiles.
    """
    if jax.default_backend() != "cpu":
        return False
    if (os.cpu_count() or 1) == 1:
        return True
    # a loop over 4 MB of state, as a population's (jax 0.10 keeps only loops of a few
    # hundred bytes on one thread, jax 0.12 loops up to tens of MB)
    state = jax.ShapeDtypeStruct((1 << 20,), jnp.float32)
    text = jax.jit(lambda x: jax.lax.fori_loop(0, 2, lambda i, y: y * x, x)).lower(
        state).compile().as_text()
    return "xla_cpu_small_call" in text


def _tile_count(n: int, size: int) -> int:
    """The number of tiles of at most ``size`` neurons: the least one that divides ``n``
    if it is below twice the least possible, else the least possible."""
    least = -(-n // size)
    for k in range(least, min(2 * least, n + 1)):
        if n % k == 0:
            return k
    return least


def slice_neurons(value, lo, size, axis):
    """``value[..., lo:lo+size, ...]`` along ``axis`` (a Quantity keeps its unit)."""
    m = u.get_mantissa(value)
    out = jax.lax.dynamic_slice_in_dim(jnp.asarray(m), lo, size, axis)
    return out if u.get_unit(value).is_unitless else u.Quantity(out, unit=u.get_unit(value))


def join_tiles(stacked, plan: TilePlan, axis):
    """The population from per-tile values stacked on a new leading axis (``axis`` is the
    neuron axis of one tile): tiles in order, the last one without the neurons it shares
    with the one before."""
    unit = u.get_unit(stacked)
    m = jnp.moveaxis(u.get_mantissa(stacked), 0, axis)  # (..., n_tiles, tile, ...)
    shape = m.shape[:axis] + (plan.n_tiles * plan.tile,) + m.shape[axis + 2:]
    m = m.reshape(shape)
    extra = plan.n_tiles * plan.tile - plan.n
    if extra:  # the last tile starts at n - tile: drop its first `extra` neurons
        cut = (plan.n_tiles - 1) * plan.tile
        m = jnp.concatenate([jax.lax.slice_in_dim(m, 0, cut, axis=axis),
                             jax.lax.slice_in_dim(m, cut + extra, cut + plan.tile,
                                                  axis=axis)], axis=axis)
    return m if unit.is_unitless else u.Quantity(m, unit=unit)


def _per_neuron(value, n) -> bool:
    shape = _mantissa_shape(value)
    return len(shape) >= 1 and shape[0] == n


def _slice_attr(value, lo, size, n):
    """Per-neuron arrays (leading axis ``n``), also inside tuples and lists, sliced."""
    if isinstance(value, tuple | list):
        parts = [_slice_attr(v, lo, size, n) for v in value]
        same = all(a is b for a, b in zip(parts, value, strict=True))
        return value if same else type(value)(parts)
    if (isinstance(value, jax.Array | np.ndarray) or u.math.is_quantity(value)) and \
            _per_neuron(value, n):
        return slice_neurons(value, lo, size, 0)
    return value


@contextlib.contextmanager
def population_view(model, n: int, size: int, lo, states=None, values=None):
    """While inside, ``model`` is the sub-population ``[lo, lo + size)`` of its ``n`` neurons:
    its per-neuron parameters are slices, and each state in ``states`` holds ``values[path]``
    (already the sub-population's). Everything is put back on exit."""
    saved = {}
    for name, value in vars(model).items():
        if isinstance(value, brainstate.State) or name.startswith("__"):
            continue
        sliced = _slice_attr(value, lo, size, n)
        if sliced is not value:
            saved[name] = value
    # the population shape is the sub-population's (models check parameter shapes against it)
    for name in ("_in_size", "_out_size"):
        if tuple(getattr(model, name, ()) or ()) == (n,):
            saved[name] = getattr(model, name)
    try:
        for name, value in saved.items():
            object.__setattr__(model, name, (size,) if name in ("_in_size", "_out_size")
                               else _slice_attr(value, lo, size, n))
        for path, st in (states or {}).items():
            if path in values:
                st.value = values[path]
        yield
    finally:
        for name, value in saved.items():
            object.__setattr__(model, name, value)


def tile_view(model, plan: TilePlan, states, initial: dict, lo):
    """:func:`population_view` of the tile ``[lo, lo + plan.tile)``, its states sliced from
    ``initial``."""
    values = {path: slice_neurons(initial[path], lo, plan.tile, plan.axis)
              for path in states if _mantissa_shape(initial[path])}
    return population_view(model, plan.n, plan.tile, lo, states, values)
