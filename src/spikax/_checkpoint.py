"""`save_states` / `load_states`: checkpoint a model's states to a ``.npz`` file and back.

Everything ``model.states()`` holds (membrane potentials, synaptic currents, refractory
counters, the clock states ``n_steps`` / ``last_spike_time``, ...) is written with
``numpy.savez`` under its dotted path, together with the unit and dtype of each value and,
by default, the global ``brainstate.random`` key, so that a run resumed from the file into a
freshly built model continues bit for bit (see ``docs/guides/checkpoint.md``).
"""

from __future__ import annotations

import json
import os

import brainstate
import jax
import numpy as np
import saiunit as u

__all__ = ["save_states", "load_states"]

_META = "__spikax_meta__"
_RANDOM = "__brainstate_random_key__"
_FORMAT = 1


def _paths(model, owner) -> dict:
    """``{'a.b.V': State}`` for every state of ``model``."""
    if not isinstance(model, brainstate.nn.Module):
        raise TypeError(f"{owner}: `model` must be a brainstate module (e.g. a spikax neuron or "
                        f"a network of them); got {type(model).__name__}.")
    out = {}
    for path, state in model.states().items():
        path = path if isinstance(path, tuple) else (path,)
        out[".".join(str(p) for p in path)] = state
    return out


def _is_key(x) -> bool:
    return jax.dtypes.issubdtype(getattr(x, "dtype", None), jax.dtypes.prng_key)


def _encode(value, name="", owner="save_states"):
    """``(plain NumPy array, metadata)`` of one state value."""
    meta = {}
    if not hasattr(value, "dtype"):
        raise TypeError(f"{owner}: state {name!r} holds a {type(value).__name__}, not an "
                        f"array; only array-valued states can be saved.")
    if isinstance(value, u.Quantity):
        meta["unit"] = str(value.unit)
        value = u.get_mantissa(value)
    if _is_key(value):
        meta["key_impl"] = str(jax.random.key_impl(value))
        value = jax.random.key_data(value)
    arr = np.asarray(jax.device_get(value))
    meta["dtype"] = str(arr.dtype)
    meta["shape"] = list(arr.shape)
    return arr, meta


def _check_path(path):
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"  # what numpy.savez does; say it so load finds the same file
    return path


def save_states(model, path, *, random: bool = True) -> str:
    """Write every state of ``model`` (and the ``brainstate.random`` key) to a ``.npz`` file.

    Parameters
    ----------
    model : brainstate.nn.Module
        A spikax neuron or any brainstate module (a network), with initialised states.
    path : str or os.PathLike
        File to write; ``.npz`` is appended when missing (as ``numpy.savez`` does).
    random : bool, default True
        Also save the global random key (``brainstate.random.DEFAULT``), which noisy models
        such as ``spikax.GIF(noise=...)`` draw from: needed for a bit-identical resume.

    Returns
    -------
    str
        The path written.

    Notes
    -----
    Each state is stored under its dotted path in ``model.states()`` (``'V'``,
    ``'pop.V'``, ``'n_steps'``, ...) as a plain array (Quantities as their mantissa), with
    its unit, dtype and shape in a JSON entry. Random keys (typed PRNG key arrays) are
    stored as their key data and the name of their implementation. Parameters that are not
    states (``tau``, ``V_th``, connectivity built from a seed) are not saved: rebuild the
    model with the same arguments before :func:`load_states`.

    Examples
    --------
    >>> import os, tempfile
    >>> import brainstate, saiunit as u, spikax
    >>> lif = spikax.LIF(3, tau=5 * u.ms)
    >>> lif.init_state()
    >>> with brainstate.environ.context(dt=0.1 * u.ms):
    ...     _ = spikax.simulate(lif, lambda t: 2 * u.mA, steps=30)
    >>> path = spikax.save_states(lif, os.path.join(tempfile.mkdtemp(), "lif"))
    >>> fresh = spikax.LIF(3, tau=5 * u.ms)
    >>> fresh.init_state()
    >>> spikax.load_states(fresh, path)
    ['V']
    >>> bool((fresh.V.value == lif.V.value).all())
    True
    """
    owner = "save_states"
    states = _paths(model, owner)
    arrays, meta = {}, {}
    for name, state in states.items():
        if name.startswith("__"):
            raise ValueError(f"{owner}: state path {name!r} starts with '__', which is "
                             f"reserved for the file's metadata.")
        arrays[name], meta[name] = _encode(state.value, name, owner)
    random_meta = None
    if random:
        arrays[_RANDOM], random_meta = _encode(brainstate.random.DEFAULT.value)
    info = dict(format=_FORMAT, states=meta, random=random_meta)
    arrays[_META] = np.asarray(json.dumps(info))
    path = _check_path(path)
    np.savez(path, **arrays)
    return path


def load_states(model, path, *, random: bool | None = None) -> list:
    """Set the states of ``model`` to the values saved by :func:`save_states`.

    The model must have been built like the saved one and initialised (``init_state``), so
    that it has the same states with the same shapes, units and dtypes; each saved value is
    then assigned to its state (the ``State`` objects themselves stay, so compiled
    ``spikax.simulate`` loops are reused). Everything is checked before anything is written.

    Parameters
    ----------
    model : brainstate.nn.Module
        The model to restore into (initialised).
    path : str or os.PathLike
        A file written by :func:`save_states` (``.npz`` is appended when missing).
    random : bool or None, default None
        Restore the global ``brainstate.random`` key from the file: None restores it when the
        file holds one; True requires it (``ValueError`` otherwise); False leaves the
        present key alone.

    Returns
    -------
    list of str
        The state paths restored, sorted.

    Raises
    ------
    ValueError
        When the file and the model disagree: a state missing from the file, a state in the
        file the model does not have, or a different shape, dtype or unit; the message names
        the state. Also when ``random=True`` and the file holds no key.
    """
    owner = "load_states"
    states = _paths(model, owner)
    path = _check_path(path)
    with np.load(path, allow_pickle=False) as data:
        if _META not in data.files:
            raise ValueError(f"{owner}: {path} was not written by spikax.save_states (no "
                             f"{_META!r} entry).")
        info = json.loads(str(data[_META]))
        saved = {k: data[k] for k in data.files if k not in (_META, _RANDOM)}
        key_data = data[_RANDOM] if _RANDOM in data.files else None
    meta = info["states"]

    missing = sorted(set(states) - set(saved))
    extra = sorted(set(saved) - set(states))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"the model's states {missing} are not in the file")
        if extra:
            parts.append(f"the file's states {extra} are not in the model")
        raise ValueError(f"{owner}: {path} does not match the model: {'; '.join(parts)}. "
                         f"Build and init_state() the model exactly as the saved one "
                         f"(same class, sizes, batch size, sub-module names).")

    new = {}
    for name, state in states.items():
        arr, m = saved[name], meta[name]
        _, want = _encode(state.value, name, owner)
        if tuple(arr.shape) != tuple(want["shape"]):
            raise ValueError(f"{owner}: state {name!r} has shape {tuple(want['shape'])} in the "
                             f"model but {tuple(arr.shape)} in {path} (a different size or "
                             f"batch size?).")
        if m["dtype"] != want["dtype"]:
            raise ValueError(f"{owner}: state {name!r} has dtype {want['dtype']} in the model "
                             f"but {m['dtype']} in {path}; build the model under the same "
                             f"precision (brainstate.environ.set(precision=...)).")
        if m.get("unit") != want.get("unit") or m.get("key_impl") != want.get("key_impl"):
            got = m.get("unit", m.get("key_impl", "no unit"))
            exp = want.get("unit", want.get("key_impl", "no unit"))
            raise ValueError(f"{owner}: state {name!r} is in {exp} in the model but {got} in "
                             f"{path}.")
        new[name] = _decode(arr, m, state.value)

    if random and key_data is None:
        raise ValueError(f"{owner}: random=True but {path} holds no random key (it was saved "
                         f"with random=False).")
    key = None
    if random is not False and key_data is not None:
        key = _decode(key_data, info["random"], None)

    for name, value in new.items():
        states[name].value = value
    if key is not None:
        brainstate.random.set_key(key)
    return sorted(new)


def _decode(arr, meta, like):
    """The state value for the saved ``arr`` (a Quantity or key array when it was one)."""
    if "key_impl" in meta:
        value = jax.random.wrap_key_data(arr, impl=meta["key_impl"])
    else:
        value = jax.numpy.asarray(arr)
    if "unit" in meta and like is not None:
        value = u.Quantity(value, unit=like.unit)
    return value
