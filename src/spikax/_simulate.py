"""`simulate`: one jit-compiled scan over time for any spikax model or brainstate network.

What brainpy 2.x users had in ``DSRunner`` with monitors: inputs per step or as a function of
time, recording of named states every k-th step and for a subset of neurons, spikes as float,
bool or per-neuron counts, a progress bar, chunked runs for long simulations, and
differentiability (``jax.grad``, optionally with checkpointed segments of steps).
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
import weakref
from collections.abc import Sequence

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import saiunit as u
from jax.sharding import PartitionSpec as P

from ._sharding import plan_split, restore_shardings, shardings
from ._tiling import (
    _mantissa_shape,
    call_at,
    eligibility,
    join_tiles,
    plan_tiles,
    population_view,
    slice_neurons,
    tile_view,
)
from ._units import MS, to_internal

__all__ = ["simulate", "SimulationResult"]

_SPIKE_MODES = ("float", "bool", "counts")
_SPIKE = "spike"

#: Number of times the simulation body has been traced (for tests of the compile cache).
_TRACE_COUNT = 0

# model -> {static configuration: jitted function}; weak so a dropped model frees its cache.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: Programs kept per model for one input function's code (new function objects of the same
#: code, e.g. a ``lambda`` written inside a trial loop, each compile; the oldest are dropped).
_SAME_CODE_KEPT = 4
_FN = 5  # the input callable's index in the static configuration
_WARNED_NEW_FN: weakref.WeakSet = weakref.WeakSet()  # models already warned about that


@jax.tree_util.register_pytree_node_class
class SimulationResult:
    """What :func:`simulate` returns: the recorded traces and their times.

    Attributes
    ----------
    t : Quantity
        Times of the recorded steps (``t0 + k * dt`` for ``k = 0, every, 2 * every, ...``),
        shape ``(n_records,)``. This is the time *at the start* of step ``k``, i.e. the ``t``
        the model saw in ``brainstate.environ``; the recorded values are those *after* it.
    records : dict
        ``{name: array}`` for every name in ``record``; time is the leading axis (except for
        ``'spike'`` with ``spikes='counts'``, which has no time axis). States with units keep
        them (Quantities).
    dt : Quantity
        The step size used.

    Notes
    -----
    ``result['V']`` and ``result.V`` are ``result.records['V']``. The result is a JAX pytree,
    so it can be returned from ``jax.jit``-ed or differentiated functions.
    """

    def __init__(self, t, records: dict, dt):
        self.t = t
        self.records = dict(records)
        self.dt = dt

    def __getitem__(self, name):
        return self.records[name]

    def __getattr__(self, name):
        records = self.__dict__.get("records", {})
        if name in records:
            return records[name]
        raise AttributeError(
            f"SimulationResult has no attribute {name!r}; recorded: {sorted(records)}")

    def keys(self):
        return self.records.keys()

    def __repr__(self):
        shapes = {k: tuple(np.shape(v)) for k, v in self.records.items()}
        return f"SimulationResult(n_records={np.shape(self.t)[0]}, records={shapes})"

    def tree_flatten(self):
        names = tuple(self.records)
        return (self.t, tuple(self.records[k] for k in names), self.dt), names

    @classmethod
    def tree_unflatten(cls, names, children):
        t, values, dt = children
        return cls(t, dict(zip(names, values)), dt)


# ---------------------------------------------------------------------------------- helpers
def _under_trace(model, states=None) -> bool:
    """True inside a JAX transformation, told with public API only: under ``jit`` every new
    array is staged out (a tracer); under ``grad``/``vmap`` the transformed values reach the
    loop through the model's parameters or states."""
    if isinstance(jnp.zeros(()), jax.core.Tracer):
        return True
    params = [v for k, v in vars(model).items() if not k.startswith("_") and not callable(v)]
    states = [st.value for st in (states or _state_names(model)).values()]
    return _is_tracer((params, states))


def _captures_tracer(fn, depth: int = 3) -> bool:
    """True when the callable input closes over JAX tracers (e.g. ``lambda t: drive * w``
    inside ``jax.grad`` with respect to ``w``): then the loop must be traced inline."""
    if depth < 0:
        return False
    import functools

    if isinstance(fn, functools.partial):
        return _is_tracer((fn.args, fn.keywords)) or _captures_tracer(fn.func, depth - 1)
    values = [c.cell_contents for c in (getattr(fn, "__closure__", None) or ())
              if _cell_filled(c)]
    values += list(getattr(fn, "__defaults__", None) or ())
    if getattr(fn, "__self__", None) is not None and not isinstance(fn.__self__, type):
        values.append(fn.__self__)
    for v in values:
        if callable(v) and not hasattr(v, "shape"):
            if _captures_tracer(v, depth - 1):
                return True
        else:
            try:
                if _is_tracer(v):
                    return True
            except Exception:  # not a pytree of arrays: cannot hold a tracer we can use
                continue
    return False


def _cell_filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # an empty cell (a name assigned later)
        return False
    return True


def _in_brainstate_trace() -> bool:
    """True inside a brainstate transformation (its state writes are tracked)."""
    try:
        from brainstate._state import TRACE_CONTEXT
        return bool(TRACE_CONTEXT.state_stack)
    except Exception:  # pragma: no cover - private API moved
        return True


def _is_tracer(tree) -> bool:
    return any(isinstance(leaf, jax.core.Tracer)
               for leaf in jax.tree_util.tree_leaves(jax.tree_util.tree_map(
                   lambda a: u.get_mantissa(a), tree, is_leaf=u.math.is_quantity)))


def _state_names(model) -> dict:
    """``{'a.b.V': State}`` for every state of ``model``."""
    out = {}
    for path, state in model.states().items():
        path = path if isinstance(path, tuple) else (path,)
        out[".".join(str(p) for p in path)] = state
    return out


def _resolve_records(model, record, states=None) -> tuple:
    """The canonical state path of every name in ``record`` (``'spike'`` stays ``'spike'``)."""
    if isinstance(record, str):
        record = (record,)
    try:
        record = tuple(record)
    except TypeError:
        raise TypeError(f"simulate: `record` must be a name or a sequence of names; got "
                        f"{record!r}.") from None
    states = _state_names(model) if states is None else states
    allowed = [_SPIKE] + sorted(states)
    out = []
    for name in record:
        if not isinstance(name, str):
            raise TypeError(f"simulate: `record` entries must be strings; got {name!r}.")
        if name == _SPIKE or name in states:
            out.append(name)
            continue
        by_leaf = [p for p in states if p.split(".")[-1] == name]
        if len(by_leaf) == 1:
            out.append(by_leaf[0])
            continue
        hint = "" if states else " (the model has no states: call init_state() first)"
        why = f"ambiguous (matches {by_leaf})" if by_leaf else "unknown"
        raise ValueError(f"simulate: `record` name {name!r} is {why}; allowed: {allowed}{hint}.")
    if len(set(record)) != len(record):
        raise ValueError(f"simulate: `record` has duplicate names: {list(record)}.")
    return tuple(zip(record, out))


def _batch_size(model, nodes=None):
    """The batch size the states were initialised with (None if unbatched or unknown)."""
    for node in (model.nodes() if nodes is None else nodes).values():
        shape = getattr(node, "varshape", None)
        if shape is None:
            continue
        for state in node.states(brainstate.HiddenState).values() if hasattr(
                node, "states") else ():
            s = np.shape(u.get_mantissa(state.value))
            if len(s) == len(shape) + 1 and tuple(s[1:]) == tuple(shape):
                return s[0]
            if tuple(s) == tuple(shape):
                return None
    return None


def _ms(value, name) -> float:
    return to_internal(value, MS, name=name, owner="simulate", allow_bare=True)


def _concat(parts, on_host):
    """Concatenate a list of pytrees of (Quantity) arrays along time."""
    def cat(*xs):
        unit = u.get_unit(xs[0])
        ms = [u.get_mantissa(x) for x in xs]
        m = np.concatenate([np.asarray(jax.device_get(x)) for x in ms]) if on_host \
            else jnp.concatenate(ms)
        return m if unit.is_unitless else u.Quantity(m, unit=unit)
    return jax.tree_util.tree_map(cat, *parts, is_leaf=u.math.is_quantity)


def _progress_print(k, total):
    k, total = int(k), int(total)
    done = min(k + 1, total)
    width = 30
    fill = int(width * done / max(total, 1))
    end = "\n" if done >= total else ""
    sys.stderr.write(f"\rsimulate [{'#' * fill}{' ' * (width - fill)}] "
                     f"{100 * done / max(total, 1):5.1f}% ({done}/{total} steps){end}")
    sys.stderr.flush()


# ---------------------------------------------------------------------------------- the loop
def _make_body(model_ref, cfg):
    """The (un-jitted) simulation of one chunk:
    ``body(xs, t0_ms, k0, total, bufs, pending, s0) -> (records, counts)``; step ``k`` of
    the run (``k0`` is the chunk's first) runs at ``t = t0 + (s0 + k) * dt``.

    ``cfg`` is hashable and static: (records, every, neurons, spikes, kind, fn, n_steps,
    progress (0 or the total steps), checkpoint, dt_ms, one-shot inputs, in-program reset,
    tile plan, split plan). ``bufs`` is None (the records are
    stacked by the scan into fresh arrays) or ``{name: array}`` of the right shapes: the
    records are written into them in place, so when the caller donates them no new memory
    is touched (the big cost of a raster: first-touch page faults of a fresh T x N array).
    """
    (records, every, neurons, spikes, kind, fn, n_steps, progress, ckpt, dt_ms, shots,
     reset_in, plan, split) = cfg
    idx = None if neurons is None else np.asarray(neurons)
    freq = max(1, progress // 20)  # `progress` is 0 (off) or the total number of steps

    def body(xs, t0_ms, k0, total, bufs=None, pending=(), s0=0):
        global _TRACE_COUNT
        _TRACE_COUNT += 1
        model = model_ref()
        if reset_in is not None:  # ("reset", batch size): reset inside the compiled program
            brainstate.nn.reset_all_states(model, reset_in[1])
        states = _state_names(model)
        nodes = model.nodes()
        fixed = [None]  # a tiled run's per-neuron input that is constant in time

        def one(k, x):
            # one-shot inputs registered before the run act in the first step only
            for (path, attr, key), value in zip(shots, pending):
                if getattr(nodes[path], attr, None) is None:
                    setattr(nodes[path], attr, {})
                getattr(nodes[path], attr)[key] = value * (k == 0)
            t = (t0_ms + (s0 + k) * dt_ms) * u.ms  # integer step first: exact on resume
            with brainstate.environ.context(t=t):
                if kind == "callable":
                    x = fn(t) if fixed[0] is None else fixed[0]
                spk = model.update() if kind == "none" else model.update(x)
            if progress:
                jax.lax.cond(
                    (k % freq == 0) | (k == total - 1),
                    lambda kk: jax.debug.callback(_progress_print, kk, total),
                    lambda kk: None, k)
            return spk

        def sub(a):
            if idx is None or np.ndim(u.get_mantissa(a)) == 0:
                return a
            return a[..., idx]

        def snapshot(spk):
            out = {}
            for name, path in records:
                if name == _SPIKE:
                    if spikes == "counts":
                        continue
                    v = sub(spk)
                    out[name] = v > 0 if spikes == "bool" else v
                else:
                    out[name] = sub(states[path].value)
            return out

        def run_steps(xs, bufs, col=None):
            """All steps of the current (sub-)population: ``(records, counts)``. With
            ``bufs``, record ``j`` is written into them at index ``j`` (and, for a tile, at
            neuron ``col``)."""

            def put(bufs, j, rec):
                """Write one record (index ``j``) into the buffers (units were stripped)."""
                out = {}
                for name, buf in bufs.items():
                    v = u.get_mantissa(rec[name]).astype(buf.dtype)
                    if col is None:
                        out[name] = jax.lax.dynamic_update_index_in_dim(buf, v, j, 0)
                    else:  # a tile: the neuron axis of a record is 1 + the state's
                        at = [j] + [0] * v.ndim
                        at[1 + plan.axis] = col
                        out[name] = jax.lax.dynamic_update_slice(buf, v[None], at)
                return out

            def block(carry, k, x_blk, size, j):
                """``size`` steps from global step ``k``; the first is recorded (as record
                ``j`` when writing into buffers)."""
                counts, bufs = carry
                spk = one(k, None if x_blk is None else x_blk[0])
                rec = snapshot(spk)
                if bufs is not None:
                    bufs, rec = put(bufs, j, rec), None
                if counts is not None:
                    counts = counts + spk
                if size > 1:
                    def rest(c, kx):
                        kk, xx = kx
                        s = one(kk, xx)
                        return (None if c is None else c + s), None
                    ks = k + jnp.arange(1, size)
                    counts, _ = brainstate.transform.scan(
                        rest, counts, (ks, None if x_blk is None else x_blk[1:]))
                return (counts, bufs), rec

            counts = None
            if spikes == "counts":
                x0 = None if xs is None else xs[0]
                shape = brainstate.transform.eval_shape(lambda: one(k0, x0))
                counts = jnp.zeros(shape.shape, shape.dtype)

            n_blocks, tail = divmod(n_steps, every)
            blocks = []
            carry = (counts, bufs)
            if n_blocks:
                xb = None if xs is None else xs[:n_blocks * every].reshape(
                    (n_blocks, every) + tuple(xs.shape[1:]))
                kb = k0 + every * jnp.arange(n_blocks)
                jb = jnp.arange(n_blocks)

                def scan_blocks(c, kxj):
                    return brainstate.transform.scan(
                        lambda c2, kx: block(c2, kx[0], kx[1], every, kx[2]), c, kxj)

                # checkpointed segments of `ckpt` blocks: under jax.grad only the carry at
                # each segment start is stored, a segment's steps are recomputed in the
                # backward pass (memory ~ T/ckpt + ckpt states: sqrt(T) for ckpt = sqrt(T)).
                # Not with donated buffers (never differentiated; the buffers would be
                # saved per segment).
                seg = ckpt if bufs is None else 0
                n_seg = n_blocks // seg if seg else 0
                if n_seg:
                    def split(a):
                        return None if a is None else a[:n_seg * seg].reshape(
                            (n_seg, seg) + tuple(a.shape[1:]))

                    carry, rec = brainstate.transform.scan(
                        brainstate.transform.checkpoint(scan_blocks), carry,
                        (split(kb), split(xb), split(jb)))
                    blocks.append(jax.tree_util.tree_map(
                        lambda a: a.reshape((n_seg * seg,) + tuple(a.shape[2:])), rec,
                        is_leaf=u.math.is_quantity))
                if n_seg * seg < n_blocks:
                    r = slice(n_seg * seg, None)
                    carry, rec = scan_blocks(carry, (kb[r], None if xb is None else xb[r],
                                                     jb[r]))
                    blocks.append(rec)
            if tail:
                xt = None if xs is None else xs[n_blocks * every:]
                carry, rec = block(carry, k0 + n_blocks * every, xt, tail, n_blocks)
                if rec is not None:
                    blocks.append(jax.tree_util.tree_map(lambda a: a[None], rec,
                                                         is_leaf=u.math.is_quantity))
            counts, bufs = carry
            if bufs is not None:
                return bufs, counts
            blocks = [b for b in blocks if b]
            rec = {} if not blocks else blocks[0] if len(blocks) == 1 else \
                _concat(blocks, on_host=False)
            return rec, counts

        def run_tiles(xs, bufs):
            """:func:`run_steps` tile by tile (``plan``): each tile's states stay in cache
            for all steps. Returns ``(records, counts)`` like :func:`run_steps`."""
            initial = {path: st.value for path, st in states.items()}
            x0 = None if xs is None else xs[0]
            # evaluated once, as the loop would (with `t` in brainstate.environ too), unless a
            # device's slice of it is given (a split run)
            const = fixed[0] if fixed[0] is not None else \
                call_at(fn, (t0_ms + s0 * dt_ms) * u.ms) if plan.hoist else None
            # the records and counts of the whole population (shapes from one full step)
            full = brainstate.transform.eval_shape(lambda: (lambda s: (s, snapshot(s)))(
                one(k0, x0 if const is None else const)))
            for path, st in states.items():
                st.value = initial[path]
            n_rec = -(-n_steps // every)
            units = {name: u.get_unit(v) for name, v in full[1].items()}
            if bufs is None:
                bufs = {name: jnp.zeros((n_rec,) + tuple(v.shape), v.dtype)
                        for name, v in full[1].items()}
            counts = None if spikes != "counts" else jnp.zeros(full[0].shape, full[0].dtype)

            def along(a, lo):  # an input's neuron axis is its last one (when not size 1)
                if a is None or np.ndim(u.get_mantissa(a)) == 0 or \
                        np.shape(u.get_mantissa(a))[-1] != plan.n:
                    return a
                return slice_neurons(a, lo, plan.tile, np.ndim(u.get_mantissa(a)) - 1)

            def tile_step(bufs, i):
                lo = jnp.minimum(i * plan.tile, plan.n - plan.tile)
                with tile_view(model, plan, states, initial, lo):
                    outer, fixed[0] = fixed[0], along(const, lo)
                    try:
                        bufs, c = run_steps(along(xs, lo), bufs, lo)
                    finally:
                        fixed[0] = outer
                    new = {path: st.value for path, st in states.items()}
                    for path, st in states.items():
                        st.value = initial[path]
                return bufs, (new, c)

            # the tiles' final states and counts come out stacked (tile index first) and
            # are joined once at the end (the last tile may overlap the one before)
            bufs, (tiles, counts) = jax.lax.scan(tile_step, bufs, jnp.arange(plan.n_tiles))
            for path, st in states.items():
                st.value = join_tiles(tiles[path], plan, plan.axis) if np.ndim(
                    u.get_mantissa(initial[path])) else jax.tree_util.tree_map(
                    lambda a: a[-1], tiles[path])
            if counts is not None:
                counts = join_tiles(counts, plan, np.ndim(counts) - 2)
            rec = {name: v if units[name].is_unitless else u.Quantity(v, unit=units[name])
                   for name, v in bufs.items()}
            return rec, counts

        def run_local(xs, bufs):
            return run_steps(xs, bufs) if plan is None else run_tiles(xs, bufs)

        def run_split(xs, bufs):
            """:func:`run_local` on each device's slice of the population (``split``), all
            at once under ``jax.shard_map``: nothing crosses devices. (Quantities are
            pytrees: a partition applies to their mantissa.)"""
            sp = split
            initial = {path: st.value for path, st in states.items()}
            st_specs = {path: sp.spec(len(_mantissa_shape(v)), sp.axis)
                        if _mantissa_shape(v)[sp.axis:sp.axis + 1] == (sp.n,) else P()
                        for path, v in initial.items()}

            def last(a):  # an input's neuron axis is its last one (when not size 1)
                shape = _mantissa_shape(a)
                return sp.spec(len(shape), len(shape) - 1) if shape[-1:] == (sp.n,) else P()

            const = call_at(fn, (t0_ms + s0 * dt_ms) * u.ms) if sp.hoist else None

            def local(values, x, c, b):
                lo = jax.lax.axis_index(sp.axis_name) * sp.n_local
                with population_view(model, sp.n, sp.n_local, lo, states, values):
                    fixed[0] = c
                    try:
                        rec, counts = run_local(x, b)
                    finally:
                        fixed[0] = None
                    new = {path: st.value for path, st in states.items()}
                    for path, st in states.items():
                        st.value = initial[path]
                return rec, counts, new

            rec_spec = sp.spec(sp.axis + 2, sp.axis + 1)  # (records, batch?, neurons, ...)
            rec, counts, new = jax.shard_map(
                local, mesh=sp.mesh, check_vma=False,
                in_specs=(st_specs, last(xs), last(const), rec_spec),
                out_specs=(rec_spec, sp.spec(sp.axis + 1, sp.axis), st_specs),
            )(initial, xs, const, bufs)
            for path, st in states.items():
                st.value = new[path]
            return rec, counts

        rec, counts = run_local(xs, bufs) if split is None else run_split(xs, bufs)
        if counts is not None:
            counts = sub(counts)
        return rec, counts

    return body


def _get_compiled(model, cfg, states):
    key = (cfg, brainstate.environ.get_precision() if hasattr(
        brainstate.environ, "get_precision") else None,
        tuple(id(s) for s in states.values()))
    per_model = _CACHE.setdefault(model, {})
    fn = per_model.get(key)
    if fn is None:
        _forget_same_code(model, per_model, key)
        # the record buffers (argument 4) are donated: their memory is reused for the output
        fn = brainstate.transform.jit(_make_body(weakref.ref(model), cfg), donate_argnums=4)
        per_model[key] = fn
    return fn


def _outside_spikax() -> int:
    """``stacklevel`` of the innermost caller outside the spikax package (for warnings)."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _forget_same_code(model, per_model, key):
    """Before compiling for ``key``: the cached programs that differ from it only by being
    for another function object with the same code as its input callable. A new one per
    call (``simulate(model, lambda t: I, ...)`` in a loop) compiles every time, since the
    program bakes in what the function captures. Warn once per model at the third, and
    keep only the newest few of them (each holds its function and captured arrays)."""
    cfg = key[0]
    code = getattr(cfg[_FN], "__code__", None)
    if code is None:
        return
    rest = (cfg[:_FN] + cfg[_FN + 1:], key[1:])
    same = [k for k in per_model
            if getattr(k[0][_FN], "__code__", None) is code
            and (k[0][:_FN] + k[0][_FN + 1:], k[1:]) == rest]
    if len(same) >= 2 and model not in _WARNED_NEW_FN:
        _WARNED_NEW_FN.add(model)
        where = f"{code.co_filename}:{code.co_firstlineno}"
        warnings.warn(
            f"simulate: compiling again for a new input function object ({code.co_name} at "
            f"{where}) that has the same code as {len(same)} earlier ones: a function "
            f"created anew for every call (e.g. a lambda inside a loop) costs a compilation "
            f"each time. Define it once outside the loop and pass values that change "
            f"between calls as array inputs (or read them from a State).",
            UserWarning, stacklevel=_outside_spikax())
    for k in same[:max(0, len(same) - _SAME_CODE_KEPT + 1)]:
        del per_model[k]


def _segment(checkpoint, steps, every) -> int:
    """Checkpoint segment length in record blocks (0: no checkpointing)."""
    if checkpoint is False or checkpoint is None:
        return 0
    n_blocks = steps // every
    if checkpoint is True:
        return max(1, int(round(np.sqrt(n_blocks))))
    return int(checkpoint) // every


def _take_one_shots(model, nodes=None):
    """Pop the pending one-shot (array) inputs of every node of ``model``:
    ``(keys, values)`` with keys ``(node path, table attribute, input key)``."""
    keys, values = [], []
    for path, node in (model.nodes() if nodes is None else nodes).items():
        for attr in ("_current_inputs", "_delta_inputs"):
            table = getattr(node, attr, None)
            if isinstance(table, dict):
                for key in [k for k, v in table.items() if not callable(v)]:
                    keys.append((path, attr, key))
                    values.append(table.pop(key))
    return tuple(keys), tuple(values)


def _donor(out, all_names, names, n_rec):
    """``(units, buffers)`` taken from a previous :class:`SimulationResult` to be donated."""
    if not isinstance(out, SimulationResult):
        raise TypeError(f"simulate: `out` must be a SimulationResult from an earlier call; "
                        f"got {type(out).__name__}.")
    if sorted(out.records) != sorted(all_names):
        raise ValueError(f"simulate: `out` records {sorted(out.records)} do not match this "
                         f"call's records {sorted(all_names)}.")
    units, bufs = {}, {}
    for name in names:
        value = out.records[name]
        buf = u.get_mantissa(value)
        if isinstance(buf, jax.Array) and buf.is_deleted():
            raise ValueError(f"simulate: `out` record {name!r} was already donated to an "
                             f"earlier call; pass the newest result.")
        if np.ndim(buf) < 1 or np.shape(buf)[0] != n_rec:
            raise ValueError(f"simulate: `out` record {name!r} has shape {np.shape(buf)}; "
                             f"this call records {n_rec} time points (leading axis).")
        units[name] = u.get_unit(value)
        bufs[name] = jnp.asarray(buf)
    return units, (bufs or None)


# ---------------------------------------------------------------------------------- public
def simulate(model, inputs=None, *, steps: int | None = None, duration=None, dt=None,
             record: str | Sequence[str] = (_SPIKE,), every: int = 1,
             neurons=None, spikes: str = "float", t0=0.0 * u.ms, progress: bool = False,
             chunk: int | None = None, checkpoint: bool | int = False,
             reset: bool = True, out: SimulationResult | None = None,
             start_step: int = 0, tile: int | str | None = "auto") -> SimulationResult:
    r"""Run ``model`` over time in one compiled scan and return the recorded traces.

    Parameters
    ----------
    model : brainstate.nn.Module
        A spikax neuron or any brainstate module whose ``update(x)`` (or ``update()`` when
        ``inputs`` is None) returns the spikes. Its states must be initialised
        (``model.init_state(...)``).
    inputs : array, Quantity, callable or None
        Per-step input with time as the leading axis (``inputs[k]`` is given to step ``k``);
        or a function of time ``f(t) -> x`` (``t`` a Quantity in ms) called inside the loop
        (the compiled program is cached per function object: define it once, not as a new
        ``lambda`` per call, and let it read changing values from a ``State``); or None
        (``model.update()`` without arguments). Inputs registered on the model before the
        call keep their meaning: callables act every step, arrays (one-shot
        inputs of ``add_current_input``/``add_delta_input``) in the first step only.
    steps : int, optional
        Number of steps. Taken from ``len(inputs)`` for array inputs; needed (or
        ``duration``) otherwise. A mismatch with the inputs is a ``ValueError``.
    duration : Quantity, optional
        Simulated time; ``steps = duration / dt`` (must be a whole number of steps).
    dt : Quantity, optional
        Step size; default ``brainstate.environ.get_dt()``. When given it is set in
        ``brainstate.environ`` for the run.
    record : str or sequence of str, default ``('spike',)``
        What to record: ``'spike'`` (the output of ``update``) and/or state names, e.g.
        ``'V'``, ``'V_th'``; states of sub-modules by their dotted path (``'pop.V'``) or by
        their last name when that is unique.
    every : int, default 1
        Record every ``every``-th step: steps ``0, every, 2 * every, ...`` (the result equals
        the ``every=1`` result sliced ``[::every]``). The model still runs every step.
    neurons : int array, optional
        Record only these indices along the last axis (the neuron axis).
    spikes : {'float', 'bool', 'counts'}, default 'float'
        ``'float'``: the spikes as returned (0/1, with their surrogate gradient); ``'bool'``:
        a boolean raster (8x smaller than float64, no gradient); ``'counts'``: the number of
        spikes per neuron over *all* steps (no time axis, no raster is stored; float, so it
        keeps the surrogate gradient), independent of ``every``.
    t0 : Quantity, default 0 ms
        Time of the first step; step ``k`` runs with ``t = t0 + k * dt`` in
        ``brainstate.environ``.
    progress : bool, default False
        Print a text progress bar to stderr (about 20 updates) through ``jax.debug.callback``
        (brainstate's ``pbar`` needs tqdm, which spikax does not depend on).
    chunk : int, optional
        Run in chunks of ``chunk`` steps: one compiled chunk is reused (plus one for a shorter
        last chunk) and the records are concatenated on the host (NumPy arrays), so device
        memory holds only one chunk of records. Must be a multiple of ``every``.
    checkpoint : bool or int, default False
        Gradient checkpointing for BPTT (``brainstate.transform.checkpoint`` on segments of
        steps): under ``jax.grad`` only the states at each segment start are stored and a
        segment's steps are recomputed in the backward pass. ``True``: segments of about
        ``sqrt(T)`` steps, so memory grows like ``sqrt(T)`` instead of ``T`` (T = 10,000:
        7 MB instead of 237 MB in ``benchmarks/bench_memory.py``, and no slower); an integer
        ``K``: segments of ``K`` steps (a multiple of ``every``; ``1`` checkpoints each
        step). Same values and gradients; no effect outside differentiation.
    reset : bool, default True
        Reset the states (``brainstate.nn.reset_all_states`` with the batch size the states
        have) before running; ``False`` continues from the current states.
    start_step : int, default 0
        Index of the first step in a longer simulation: step ``k`` of this call runs with
        ``t = t0 + (start_step + k) * dt``. Resuming a run after ``N`` steps with
        ``reset=False, start_step=N`` gives every step the bit-identical time of the
        uninterrupted run (``t0=N * dt`` would round differently in the last bit, which
        flips refractory comparisons that sit exactly on a tie).
    out : SimulationResult, optional
        A previous result of the same configuration (same ``record``, ``spikes``, ``every``,
        ``neurons``, number of steps and shapes) whose arrays are *donated*: the new records
        are written into their memory, which saves allocating (and page-faulting) a fresh
        ``T x N`` raster each call (2-5x faster for large rasters on CPU). ``out`` is
        consumed: its arrays are deleted and must not be used afterwards (like
        ``jax.jit(..., donate_argnums=...)``). Not allowed inside a JAX transformation.
        Chunked runs reuse one chunk's device buffers for the next chunk by themselves.
    tile : 'auto', int or None, default 'auto'
        Neuron tiling of an uncoupled population: run all steps of a tile of neurons before
        the next tile, so that a tile's states stay in the CPU cache for the whole run
        instead of streaming the whole population through memory every step. Only the
        order of the work changes: the spikes are the same and the values agree to the
        last bit (an ulp may differ where XLA constant-folds a transcendental of a
        per-neuron parameter in one layout and computes it at run time in the other).
        On a 2-core CPU with jax 0.12: LIF, N = 1e6, spike counts 1.7x faster; GifRef,
        GLIF5 1.4x, GIF 1.25x, AdExIFRef 1.1x at N = 1e5 (``benchmarks/bench_w1.py``).
        ``'auto'``: tile when it is safe, the population is at least two tiles (of about
        64 KB of state, input and counts; 256 KB when something is recorded per step), and
        the backend is a CPU whose XLA runs the plain loop on one thread anyway (jax 0.12;
        jax 0.10 splits it over the cores, which beat tiles for the compute-heavy models;
        a GPU or TPU never tiles); an integer: at most this many neurons per tile (the
        count of tiles is rounded up to a divisor of N within a factor 2; a ``ValueError``
        when the model cannot be tiled); ``None``: never. Safe means a
        single spikax neuron population without noise, without inputs registered on the
        model, with inputs that are per-step arrays, a per-neuron input constant in time,
        or a callable whose value has no neuron axis, no progress bar and no ``neurons``
        subset of a recorded raster. Not applied inside JAX transformations (the caller
        compiles the loop).

    Returns
    -------
    SimulationResult
        ``result.t`` (times of the records), ``result['spike']``, ``result['V']``, ...
        The model's states hold the final values.

    Notes
    -----
    Called outside any JAX transformation, the loop is compiled with
    ``brainstate.transform.jit`` and cached per model and static configuration (names,
    ``every``, ``neurons``, ``spikes``, input kind, ``steps``, dt, precision): a second call with
    the same shapes does not retrace. Inside ``jax.jit``/``jax.grad``/``jax.vmap`` the loop is
    traced inline into the caller's computation (the caller compiles it). User inputs are not
    donated (the caller still owns them); the states are updated by brainstate's jit; record
    buffers are donated when ``out`` is given and between the chunks of a chunked run.

    A population placed over several devices with :func:`spikax.shard` runs one complete
    time loop per device on its own slice of the neurons (``jax.shard_map``, no
    communication), with ``tile`` applied inside each slice, when its neurons may run apart
    (the conditions of ``tile``) and every per-neuron state is split along the neuron axis
    of one mesh axis; other sharded models run as one program partitioned by XLA. The
    records, counts and states come back split along the neuron axis. On the CPU this is
    how a run uses several cores: start the process with several host devices (before JAX
    first runs anything, ``jax.config.update('jax_num_cpu_devices', 2)`` or
    ``XLA_FLAGS=--xla_force_host_platform_device_count=2``), then ``spikax.shard(model)``.
    On 2 cores with jax 0.12 (whose XLA runs each loop on one thread), two host devices
    against one at N = 1e5: AdExIFRef 1.8-1.9x, GifRef 1.6-1.7x, GLIF5 1.3-1.8x
    (``benchmarks/bench_scale.py``).

    Examples
    --------
    >>> import brainstate, saiunit as u, spikax
    >>> lif = spikax.LIF(3, tau=5 * u.ms)
    >>> lif.init_state()
    >>> with brainstate.environ.context(dt=0.1 * u.ms):
    ...     res = spikax.simulate(lif, lambda t: 3 * u.mA, duration=20 * u.ms,
    ...                           record=("spike", "V"), every=10)
    >>> res['spike'].shape, res['V'].shape, res.t[:3].to_decimal(u.ms).tolist()
    ((20, 3), (20, 3), [0.0, 1.0, 2.0])
    >>> int(res['spike'].sum()) > 0, res['V'].unit == u.mV
    (True, True)
    """
    # ---- arguments
    if isinstance(start_step, bool) or not isinstance(start_step, (int, np.integer)) or \
            start_step < 0:
        raise ValueError(f"simulate: `start_step` must be an integer >= 0; got "
                         f"{start_step!r}.")
    start_step = int(start_step)
    if not isinstance(spikes, str) or spikes not in _SPIKE_MODES:
        raise ValueError(f"simulate: `spikes` must be one of {_SPIKE_MODES}; got {spikes!r}.")
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"simulate: `every` must be an integer >= 1; got {every!r}.")
    every = int(every)
    if not (isinstance(checkpoint, bool) or checkpoint is None or (
            isinstance(checkpoint, (int, np.integer)) and checkpoint >= 1
            and checkpoint % every == 0)):
        raise ValueError(f"simulate: `checkpoint` must be a bool or a positive number of "
                         f"steps that is a multiple of `every` ({every}); got "
                         f"{checkpoint!r}.")
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(
            chunk, (int, np.integer)) or chunk < 1 or chunk % every):
        raise ValueError(f"simulate: `chunk` must be None or a positive integer multiple of "
                         f"`every` ({every}); got {chunk!r}.")
    if not isinstance(model, brainstate.nn.Module) or not callable(getattr(model, "update",
                                                                           None)):
        raise TypeError(f"simulate: `model` must be a brainstate module with an `update` "
                        f"method; got {type(model).__name__}.")
    if not (tile is None or tile is False or tile == "auto" or (
            isinstance(tile, (int, np.integer)) and not isinstance(tile, bool) and tile >= 1)):
        raise ValueError(f"simulate: `tile` must be 'auto', None or a positive number of "
                         f"neurons; got {tile!r}.")
    graph_states = _state_names(model)  # walk the module graph once per call
    nodes = model.nodes()
    records = _resolve_records(model, record, graph_states)
    if neurons is not None:
        arr = np.asarray(neurons)
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"simulate: `neurons` must be a 1-D integer index array; got "
                            f"{neurons!r}.")
        neurons = tuple(int(i) for i in arr)

    with contextlib.ExitStack() as stack:
        if dt is not None:
            stack.enter_context(brainstate.environ.context(dt=dt))
        try:
            dt_q = brainstate.environ.get_dt()
        except KeyError:
            raise ValueError("simulate: no `dt`: pass dt=... or set "
                             "brainstate.environ.set(dt=0.1 * u.ms).") from None
        dt_ms = float(_ms(dt_q, "dt"))
        if not dt_ms > 0:
            raise ValueError(f"simulate: `dt` must be > 0; got {dt_q}.")

        # ---- inputs and the number of steps
        if inputs is None:
            kind, fn, xs = "none", None, None
        elif callable(inputs) and not hasattr(inputs, "shape"):
            kind, fn, xs = "callable", inputs, None
        else:
            kind, fn = "array", None
            xs = inputs if u.math.is_quantity(inputs) or isinstance(inputs, jax.Array) \
                else jnp.asarray(inputs)
            if np.ndim(u.get_mantissa(xs)) < 1:
                raise ValueError(f"simulate: array `inputs` need a leading time axis; got "
                                 f"shape {np.shape(u.get_mantissa(xs))} (use a callable "
                                 f"`lambda t: x` for a constant input).")
        n_dur = None
        if duration is not None:
            ratio = float(_ms(duration, "duration")) / dt_ms
            n_dur = int(round(ratio))
            if abs(ratio - n_dur) > 1e-6 * max(1.0, ratio) or n_dur < 1:
                raise ValueError(f"simulate: `duration` ({duration}) must be a positive whole "
                                 f"number of steps of dt = {dt_q}.")
        if steps is not None and (isinstance(steps, bool) or not isinstance(
                steps, (int, np.integer)) or steps < 1):
            raise ValueError(f"simulate: `steps` must be a positive integer; got {steps!r}.")
        if steps is not None and n_dur is not None and steps != n_dur:
            raise ValueError(f"simulate: `steps` ({steps}) and `duration` ({duration} = "
                             f"{n_dur} steps) disagree.")
        n = steps if steps is not None else n_dur
        if kind == "array":
            n_in = np.shape(u.get_mantissa(xs))[0]
            if n is not None and n != n_in:
                raise ValueError(f"simulate: `inputs` has {n_in} steps (leading axis) but "
                                 f"`steps`/`duration` ask for {n}.")
            n = n_in
        if n is None:
            raise ValueError("simulate: give `steps` or `duration` (or array `inputs` whose "
                             "leading axis is time).")
        n = int(n)
        t0_ms = float(_ms(t0, "t0")) if not _is_tracer(t0) else _ms(t0, "t0")

        # ---- run
        traced = _under_trace(model, graph_states) or _is_tracer(xs) or (
            kind == "callable" and _captures_tracer(fn))
        if traced and not _in_brainstate_trace():
            # A raw JAX transformation (jax.grad/jit/vmap): brainstate forbids storing its
            # tracers in states, so run under a state trace and put the states back after.
            trace = stack.enter_context(brainstate.StateTraceStack())
            stack.callback(trace.recovery_original_values)
        reset_in = None
        placed = {} if traced else shardings(model, graph_states.values())
        if reset:
            if traced or placed:
                brainstate.nn.reset_all_states(model, _batch_size(model, nodes))
                restore_shardings(placed)  # a sharded population stays sharded (spikax.shard)
            else:  # compiled with the loop: no per-call eager work (ms at small N)
                reset_in = ("reset", _batch_size(model, nodes))
        size = n if chunk is None else min(int(chunk), n)
        timed = [name for name, _ in records if not (name == _SPIKE and spikes == "counts")]
        units, bufs = {}, None
        if out is not None:
            if traced:
                raise ValueError("simulate: `out` (buffer donation) cannot be used inside a "
                                 "JAX transformation; drop it there.")
            units, bufs = _donor(out, [name for name, _ in records], timed,
                                 -(-size // every))
        shots, pending = _take_one_shots(model, nodes)
        batch = _batch_size(model, nodes)
        # a population sharded along its neurons (spikax.shard) runs one loop per device
        split = None
        if placed:
            try:
                split = plan_split(model, graph_states, batch, *eligibility(
                    model, nodes, graph_states, kind, fn, xs, records, neurons, spikes,
                    shots, progress, batch))
            except Exception:  # e.g. a callable input that fails when traced at t = 0
                split = None  # the partitioned program runs, and reports the error
        # (a partitioned program would gather every tile across the devices: no 'auto'
        # tiles for a sharded population that is not split)
        plan = None if traced or (placed and split is None and tile == "auto") else \
            plan_tiles(tile, model, nodes, graph_states, kind, fn, xs, records, neurons,
                       spikes, shots, progress, batch, None if split is None else split.n_local)
        parts, counts = [], None
        for start in range(0, n, size):
            m = min(size, n - start)
            x_c = None if xs is None else (xs if chunk is None else xs[start:start + m])
            if bufs is not None and any(b.shape[0] != -(-m // every) for b in bufs.values()):
                bufs = None  # the shorter last chunk: fresh buffers
            args = (x_c, jnp.asarray(t0_ms), jnp.asarray(start), jnp.asarray(n), bufs, pending,
                    jnp.asarray(start_step))

            def run(plan, split):
                cfg = (records, every, neurons, spikes, kind, fn, m, n if progress else 0,
                       _segment(checkpoint, m, every), dt_ms, shots,
                       reset_in if start == 0 else None, plan, split)
                return (_make_body(weakref.ref(model), cfg) if traced else
                        _get_compiled(model, cfg, graph_states))(*args)

            result = None
            if split is not None or (plan is not None and tile == "auto"):
                # a user subclass may keep per-neuron data where the tile view does not
                # look: then tracing the tiled or split loop fails, and the plain loop (the
                # partitioned program for a sharded population) runs instead
                before = {path: st.value for path, st in graph_states.items()}
                try:
                    result = run(plan, split)
                except Exception:
                    for path, st in graph_states.items():
                        st.value = before[path]
                    if tile != "auto" and plan is not None:
                        raise
                    plan = split = None
            rec, c = run(plan, split) if result is None else result
            for name, v in rec.items():
                units.setdefault(name, u.get_unit(v))
            rec = {name: u.get_mantissa(v) for name, v in rec.items()}
            if chunk is not None and not traced:
                parts.append({k: np.asarray(jax.device_get(v)) for k, v in rec.items()})
                bufs = rec or None  # copied to the host: donate the device memory onward
            else:
                parts.append(rec)
            if c is not None:
                counts = c if counts is None else counts + c
        rec = parts[0] if len(parts) == 1 else _concat(parts, on_host=not traced)
        rec = {name: v if units[name].is_unitless else u.Quantity(v, unit=units[name])
               for name, v in rec.items()}
        recorded = {}
        for name, _ in records:
            recorded[name] = counts if (name == _SPIKE and spikes == "counts") else rec[name]
        xp = jnp if traced or _is_tracer(t0_ms) else np  # NumPy: no device dispatch per call
        t = (t0_ms + dt_ms * (start_step + xp.arange(0, n, every))) * u.ms
        return SimulationResult(t, recorded, dt_q)
