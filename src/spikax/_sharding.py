"""Scale-out along the neuron axis with JAX's own sharding machinery.

A population's states are placed on a one-dimensional device mesh, split along their last
(neuron) axis; every compiled step is then partitioned by XLA's SPMD partitioner, so each
device updates its own slice and nothing else changes in the user's code. The same call
works across hosts after ``jax.distributed.initialize()``: the mesh then spans the devices
of all processes and each process holds its own slices.
"""

from __future__ import annotations

import brainstate
import jax
import numpy as np
import saiunit as u
from jax.sharding import Mesh, NamedSharding, PartitionSpec

__all__ = ["shard", "shardings", "restore_shardings"]


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
    Every array state whose last axis is divisible by the number of devices on
    ``axis_name`` is placed with ``PartitionSpec(None, ..., axis_name)``; scalars and
    other states are replicated. Parameters that are per-neuron arrays stay ordinary
    arrays: XLA slices them per device. Nothing else changes: ``spikax.simulate`` and
    jitted ``brainstate.transform.for_loop`` loops run partitioned, elementwise neuron
    updates need no communication, the states stay sharded between calls
    (:func:`spikax.simulate` re-applies the sharding after resetting them), and records
    come back split along the neuron axis. The arrays are built with
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
    sharded = 0
    for state in states:
        value = state.value
        mantissa = u.get_mantissa(value)
        if not hasattr(mantissa, "shape"):
            continue
        ndim = np.ndim(mantissa)
        split = ndim >= 1 and np.shape(mantissa)[-1] % n_dev == 0
        spec = PartitionSpec(*([None] * (ndim - 1) + [axis_name])) if split \
            else PartitionSpec()
        sharded += split
        _place(state, NamedSharding(mesh, spec))
    if not sharded:
        sizes = sorted({np.shape(u.get_mantissa(s.value))[-1] for s in states
                        if np.ndim(u.get_mantissa(s.value)) >= 1})
        raise ValueError(f"shard: no state has a last (neuron) axis divisible by the "
                         f"{n_dev} devices (neuron axis sizes: {sizes}); use a population "
                         f"size that is a multiple of {n_dev}.")
    return mesh


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
