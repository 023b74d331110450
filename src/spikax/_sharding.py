"""Scale-out along the neuron axis with JAX's own sharding machinery.

A population's states are placed on a one-dimensional device mesh, split along their
neuron axis. :func:`spikax.simulate` then runs one time loop per device on its slice of an
uncoupled population (``jax.shard_map``, planned by :func:`plan_split`); any other model is
compiled once and partitioned by XLA's SPMD partitioner, so each device updates its own
slice and nothing else changes in the user's code. The same call works across hosts after
``jax.distributed.initialize()``: the mesh then spans the devices of all processes and each
process holds its own slices.
"""

from __future__ import annotations

from typing import NamedTuple

import brainstate
import jax
import numpy as np
import saiunit as u
from jax.sharding import Mesh, NamedSharding, PartitionSpec

__all__ = ["shard", "shardings", "restore_shardings", "SplitPlan", "plan_split"]


def _mesh(devices, axis_name: str) -> Mesh:
    if isinstance(devices, Mesh):
        if axis_name not in devices.axis_names:
            raise ValueError(f"shard: `axis_name` {axis_name!r} is not an axis of the mesh "
                             f"{devices.axis_names}.")
        return devices
    if devices is None:
        devices = jax.devices()
    elif isinstance(devices, (int, np.integer)) and not isinstance(devices, bool):
        if not 1 <= devices <= len(jax.devices()):
            raise ValueError(f"shard: `devices` = {devices} but {len(jax.devices())} "
                             f"device(s) are available; allowed: 1..{len(jax.devices())}.")
        devices = jax.devices()[:devices]
    devices = list(devices)
    if not devices or not all(isinstance(d, jax.Device) for d in devices):
        raise TypeError(f"shard: `devices` must be None, a count, a sequence of jax devices "
                        f"or a Mesh; got {devices!r}.")
    return Mesh(np.array(devices), (axis_name,))


def shard(model: brainstate.nn.Module, devices=None, *, axis_name: str = "neurons") -> Mesh:
    """Split a model's states over several devices along the neuron (last) axis.

    Parameters
    ----------
    model : brainstate.nn.Module
        A spikax neuron or any brainstate network, with initialised states.
    devices : None, int, sequence of jax.Device or jax.sharding.Mesh, optional
        The devices to use: all of ``jax.devices()`` (default; after
        ``jax.distributed.initialize()`` these are the devices of every host), the first
        ``devices`` of them, an explicit list, or a one-axis-or-more mesh that has an axis
        named ``axis_name``.
    axis_name : str, default ``'neurons'``
        Name of the mesh axis the neuron axis is split over.

    Returns
    -------
    jax.sharding.Mesh
        The mesh used.

    Notes
    -----
    Every array state whose neuron axis is divisible by the number of devices on
    ``axis_name`` is split along it; scalars and other states are replicated. The neuron
    axis of a spikax neuron's state is the last axis of its population shape, after the
    batch axis (so the ``(N, 2)`` after-spike currents of ``glif_psc_double_alpha`` are
    split along ``N``); for other modules it is the last axis. Parameters that are
    per-neuron arrays stay ordinary arrays; each device uses its slice.

    When the population is one spikax neuron model of independent neurons (what
    ``simulate``'s neuron tiles need too), :func:`spikax.simulate` runs the whole time loop
    of each slice on its own device with no communication (``jax.shard_map``); on the CPU
    that is how a run uses several cores (see the Notes of :func:`spikax.simulate`). Other
    models, and jitted ``brainstate.transform.for_loop`` loops, run as one program that
    XLA's SPMD partitioner splits step by step. Either way the states stay sharded between
    calls (:func:`spikax.simulate` re-applies the sharding after resetting them) and
    records come back split along the neuron axis. The arrays are built with
    ``jax.make_array_from_callback``, so on several hosts each process only fills its own
    slices (all processes must hold the same values, e.g. a deterministic initialiser).

    Examples
    --------
    >>> import jax, saiunit as u, spikax
    >>> lif = spikax.LIF(8)
    >>> lif.init_state()
    >>> mesh = spikax.shard(lif, devices=1)
    >>> lif.V.value.mantissa.sharding.spec == jax.sharding.PartitionSpec("neurons")
    True
    """
    if not isinstance(model, brainstate.nn.Module):
        raise TypeError(f"shard: `model` must be a brainstate module; got "
                        f"{type(model).__name__}.")
    if not isinstance(axis_name, str):
        raise TypeError(f"shard: `axis_name` must be a string; got {axis_name!r}.")
    mesh = _mesh(devices, axis_name)
    n_dev = mesh.shape[axis_name]
    states = list(model.states().values())
    if not states:
        raise ValueError("shard: the model has no states; call init_state() first.")
    axes = _neuron_axes(model)
    sharded = 0
    for state in states:
        value = state.value
        mantissa = u.get_mantissa(value)
        if not hasattr(mantissa, "shape"):
            continue
        ndim = np.ndim(mantissa)
        axis = axes.get(id(state), ndim - 1)
        split = 0 <= axis < ndim and np.shape(mantissa)[axis] % n_dev == 0
        spec = PartitionSpec(*([None] * axis + [axis_name])) if split else PartitionSpec()
        sharded += split
        _place(state, NamedSharding(mesh, spec))
    if not sharded:
        sizes = sorted({np.shape(u.get_mantissa(s.value))[axes.get(
            id(s), np.ndim(u.get_mantissa(s.value)) - 1)] for s in states
            if np.ndim(u.get_mantissa(s.value)) >= 1})
        raise ValueError(f"shard: no state has a neuron axis divisible by the "
                         f"{n_dev} devices (neuron axis sizes: {sizes}); use a population "
                         f"size that is a multiple of {n_dev}.")
    return mesh


def _neuron_axes(model) -> dict:
    """``{id(state): axis}`` for the states of the spikax neurons in ``model``: the last axis
    of the population shape, after the batch axis if there is one."""
    from ._base import Neuron
    from ._simulate import _batch_size

    axes = {}
    for node in model.nodes().values():
        if isinstance(node, Neuron):
            lead = 0 if _batch_size(node, {(): node}) is None else 1
            for state in vars(node).values():
                if isinstance(state, brainstate.State):
                    axes[id(state)] = lead + len(node.varshape) - 1
    return axes


def _place(state, sharding) -> None:
    value = state.value
    unit = u.get_unit(value)
    host = np.asarray(jax.device_get(u.get_mantissa(value)))
    arr = jax.make_array_from_callback(host.shape, sharding, lambda idx: host[idx])
    state.value = arr if unit.is_unitless else u.Quantity(arr, unit=unit)


def shardings(model, states=None) -> dict:
    """``{state: sharding}`` for the states of ``model`` (or the given ``states``) placed on
    more than one device."""
    out = {}
    for state in (model.states().values() if states is None else states):
        m = u.get_mantissa(state.value)
        sh = getattr(m, "sharding", None)
        if isinstance(m, jax.Array) and not isinstance(m, jax.core.Tracer) and sh is not None \
                and len(sh.device_set) > 1:
            out[state] = (sh, np.shape(m))
    return out


def restore_shardings(saved: dict) -> None:
    """Put states back on the shardings recorded by :func:`shardings` (after a reset
    replaced their values by fresh single-device arrays of the same shape)."""
    for state, (sh, shape) in saved.items():
        m = u.get_mantissa(state.value)
        if np.shape(m) == shape and getattr(m, "sharding", None) != sh:
            _place(state, sh)


class SplitPlan(NamedTuple):
    """A population split over devices, run as one independent loop per device (static and
    hashable: part of :func:`spikax.simulate`'s compile-cache key)."""

    mesh: Mesh
    axis_name: str
    n: int  # neurons in the population
    n_local: int  # neurons per device
    axis: int  # the neuron axis of a state (1 with a batch axis, else 0)
    hoist: bool  # a callable input whose value is per-neuron and constant in time

    def spec(self, ndim: int, at: int) -> PartitionSpec:
        """The partition of an array of ``ndim`` axes whose neuron axis is ``at``."""
        return PartitionSpec(*([None] * at + [self.axis_name])) if ndim > at else \
            PartitionSpec()


def plan_split(model, states, batch, why, hoist) -> SplitPlan | None:
    """The :class:`SplitPlan` of a run, or None when it runs as one partitioned program.

    A population is split when its neurons can run apart (``why`` is None: see
    ``_tiling.eligibility``) and every per-neuron state lies on the same mesh, split along
    its neuron axis over one mesh axis whose size divides the population, and along nothing
    else.
    """
    if why is not None:
        return None
    n = int(model.varshape[0])
    axis = 0 if batch is None else 1
    mesh = name = None
    for st in states.values():
        m = u.get_mantissa(st.value)
        shape = np.shape(m)
        sh = getattr(m, "sharding", None)
        if len(shape) <= axis or shape[axis] != n:
            if sh is not None and not sh.is_fully_replicated:
                return None
            continue
        if not isinstance(sh, NamedSharding) or len(sh.device_set) < 2:
            return None
        spec = tuple(sh.spec) + (None,) * (len(shape) - len(sh.spec))
        if not isinstance(spec[axis], str) or any(
                p is not None for i, p in enumerate(spec) if i != axis):
            return None
        if mesh is None:
            mesh, name = sh.mesh, spec[axis]
        elif sh.mesh != mesh or spec[axis] != name:
            return None
    if mesh is None or n % mesh.shape[name]:
        return None
    return SplitPlan(mesh, name, n, n // mesh.shape[name], axis, hoist)
