"""`Neuron`: the brainstate module every spikax model derives from.

It mirrors ``brainpy.state``'s neuron base (``in_size``/``varshape``, ``spk_fun``,
``spk_reset``, the current/delta input registry) and adds what the thin model wrappers
share: parameter storage with eager validation, the step size in ms, and the conversion of
registered inputs into the plain floats the pure cores work on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import braintools
import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import saiunit as u

from . import surrogate
from ._units import MS, check_values, is_concrete, to_internal

__all__ = ["Neuron", "UNLABELLED"]

_SPK_RESETS = ("soft", "hard")


_LABEL_SEP = " // "

#: Pass as ``label`` to the input sums to select only the inputs registered without a label.
UNLABELLED = object()


def _label_prefix(label: str) -> str:
    return f"{label}{_LABEL_SEP}"


def _labelled(key: str, label: str | None) -> str:
    return key if label is None else _label_prefix(label) + str(key)


class Neuron(brainstate.nn.Dynamics):
    r"""Base class of all spikax neurons (a :class:`brainstate.nn.Dynamics`).

    Parameters
    ----------
    in_size : int or tuple of int
        Population shape; ``varshape`` is the same as a tuple.
    spk_fun : callable, default ``spikax.surrogate.ReluGrad()``
        Spike function ``x -> spikes`` applied to the scaled distance to threshold. Any
        callable works, e.g. a :mod:`spikax.surrogate` or ``braintools.surrogate`` object.
    spk_reset : {'soft', 'hard'}, default 'soft'
        How a spike resets the membrane (see each model). Anything else is a ``ValueError``.
    name : str, optional
        Module name.

    Notes
    -----
    **Inputs.** Synapses and user code drive a neuron through two registries, as in
    ``brainpy.state``:

    * ``add_current_input(key, inp, label=None)``: a current (or a callable of the
      membrane potential returning one) summed by :meth:`sum_current_inputs`;
    * ``add_delta_input(key, inp, label=None)``: an instantaneous jump (or a callable of no
      arguments returning one) summed by :meth:`sum_delta_inputs`.

    An array-valued input is one-shot: it is consumed by the next ``update`` and then
    removed. A callable input stays registered and is called at every step. With a
    ``label`` the stored key is ``"<label> // <key>"`` and only sums asked for that label
    see it. Registering a *different* object under an existing key is a ``ValueError``;
    registering the same object again is a no-op. All of this happens at trace time, so it
    works unchanged inside ``jax.jit`` and ``brainstate.transform.for_loop``.
    """

    def __init__(
        self,
        in_size,
        spk_fun: Callable | None = None,
        spk_reset: str = "soft",
        name: str | None = None,
    ):
        super().__init__(in_size=in_size, name=name)
        if not isinstance(spk_reset, str) or spk_reset not in _SPK_RESETS:
            raise ValueError(
                f"{type(self).__name__}: `spk_reset` must be one of {_SPK_RESETS}; "
                f"got {spk_reset!r}."
            )
        spk_fun = surrogate.ReluGrad() if spk_fun is None else spk_fun
        if not callable(spk_fun):
            raise TypeError(
                f"{type(self).__name__}: `spk_fun` must be callable (e.g. "
                f"spikax.surrogate.ReluGrad()); got {spk_fun!r}."
            )
        self.spk_fun = spk_fun
        self.spk_reset = spk_reset
        self._current_inputs: dict[str, Any] | None = None
        self._delta_inputs: dict[str, Any] | None = None

    # ------------------------------------------------------------------ parameters
    def _param(self, value, name: str, unit, *, allow_bare: bool = False, **bounds):
        """Store-ready parameter: broadcast-checked against ``varshape``, unit- and range-checked.

        Returns ``value`` as given (callables are evaluated with ``varshape``), so that the
        public attribute keeps the user's units. ``bounds`` go to :func:`check_values`
        (``lower``, ``upper``, ``lower_open``, ``upper_open``), in ``unit``.
        """
        owner = type(self).__name__
        try:
            value = braintools.init.param(value, self.varshape)
        except ValueError as e:
            raise ValueError(
                f"{owner}: `{name}` must be a scalar or broadcast to the population shape "
                f"{self.varshape}; got shape {np.shape(u.get_mantissa(value))}."
            ) from e
        internal = to_internal(value, unit, name=name, owner=owner, allow_bare=allow_bare)
        check_values(internal, name=name, owner=owner, shown=value, unit=str(unit), **bounds)
        return value

    def _nest_param(self, value, name: str, unit, **bounds):
        """:meth:`_param` for NEST-style parameters: plain numbers (or lists) in NEST's unit
        are accepted as well as Quantities."""
        if isinstance(value, list | tuple):
            value = np.asarray(value, dtype=float)
        return self._param(value, name, unit, allow_bare=True, **bounds)

    def _internal(self, value, name: str, unit, *, allow_bare: bool = False):
        """``value`` in ``unit`` as a plain number/array (for the pure core)."""
        return to_internal(value, unit, name=name, owner=type(self).__name__,
                           allow_bare=allow_bare)

    def _require_less(self, small, big, small_name: str, big_name: str):
        """Raise ``ValueError`` unless ``small < big`` everywhere (both in the same units)."""
        if is_concrete((small, big)) and not np.all(np.asarray(small) < np.asarray(big)):
            raise ValueError(
                f"{type(self).__name__}: `{small_name}` must be smaller than `{big_name}`; "
                f"got {small_name}={getattr(self, small_name)}, "
                f"{big_name}={getattr(self, big_name)}."
            )

    def _init_value(self, initializer, unit, name: str, batch_size: int | None):
        """Initial state value from ``initializer`` as a Quantity in ``unit``."""
        value = braintools.init.param(initializer, self.varshape, batch_size)
        x = self._internal(value, name, unit)
        return u.math.asarray(x, dtype=brainstate.environ.dftype()) * unit

    def _as_state(self, new, old, unit):
        """``new`` (from a core) as a state value like ``old``: same shape and dtype, in ``unit``.

        A shape change means an input did not broadcast to the state's shape (e.g. a batched
        input to an unbatched population): that is a ``ValueError`` naming the shapes.
        """
        if new.shape != old.shape:
            raise ValueError(
                f"{type(self).__name__}: the inputs have a shape that does not broadcast to the "
                f"state shape {tuple(old.shape)} (the step produced {tuple(new.shape)}). Give "
                f"`x` a shape broadcastable to {tuple(old.shape)}, or call "
                f"init_state(batch_size=...) to match a batched input."
            )
        return u.math.asarray(new, dtype=old.dtype) * unit

    @staticmethod
    def dt_ms() -> float:
        """The step ``brainstate.environ.get_dt()`` in ms (a bare number is read as ms)."""
        try:
            dt = brainstate.environ.get_dt()
        except KeyError:
            raise KeyError(
                "spikax: no time step is set. Use `brainstate.environ.set(dt=0.1 * u.ms)` "
                "or `with brainstate.environ.context(dt=0.1 * u.ms): ...`."
            ) from None
        dt = to_internal(dt, MS, name="dt", owner="brainstate.environ", allow_bare=True)
        check_values(dt, name="dt", owner="brainstate.environ", lower=0.0, lower_open=True,
                     unit="ms")
        return dt

    def _independent_neurons(self) -> bool:
        """True when each neuron evolves from its own states, parameters and input alone,
        deterministically: :func:`spikax.simulate` may then run the population in tiles
        (``tile='auto'``). Models that draw random numbers say False."""
        return True

    # ------------------------------------------------------------------ states
    def _initial(self, batch_size: int | None) -> dict:
        """``{name: (state class, initial value)}`` with shape ``(batch_size?, *varshape)``.

        Models define this once; :meth:`init_state` creates the states from it and
        :meth:`reset_state` assigns the values, so the two can never disagree.
        """
        raise NotImplementedError

    def init_state(self, batch_size: int | None = None, **kwargs):
        """Create the states with shape ``(batch_size, *in_size)`` (no batch axis if ``None``)."""
        for key, (kind, value) in self._initial(batch_size).items():
            setattr(self, key, kind(value))

    def reset_state(self, batch_size: int | None = None, **kwargs):
        """Set every state back to its initial value (same shape convention as ``init_state``)."""
        for key, (_, value) in self._initial(batch_size).items():
            getattr(self, key).value = value

    def _clock_states(self, shape, dtype) -> dict:
        """``last_spike_time`` (-1e7 ms) and the step counter ``n_steps`` for :meth:`_now_ms`."""
        S = brainstate.ShortTermState
        return dict(last_spike_time=(S, u.math.full(shape, -1e7, dtype=dtype) * MS),
                    n_steps=(S, u.math.zeros((), dtype=brainstate.environ.ditype())))

    def _now_ms(self, dt):
        """Time at the start of this step [ms]: ``brainstate.environ``'s ``t`` when set, else
        ``n_steps * dt`` (the number of updates since ``init_state``)."""
        t = brainstate.environ.get("t", default=None)
        if t is None:
            return self.n_steps.value * dt
        return self._internal(t, "t", MS, allow_bare=True)

    def _stamp_spikes(self, spike, t_spike):
        """Record ``t_spike`` [ms] in ``last_spike_time`` where ``spike`` fired; count the step."""
        last = self._internal(self.last_spike_time.value, "last_spike_time", MS)
        fired = jax.lax.stop_gradient(spike) > 0
        self.last_spike_time.value = self._as_state(jnp.where(fired, t_spike, last), last, MS)
        self._advance_clock()

    def _advance_clock(self):
        """Count one update in ``n_steps`` (the fallback clock of :meth:`_now_ms`)."""
        self.n_steps.value = self.n_steps.value + 1

    def _read_states(self, spec: dict) -> dict:
        """``{name: value}`` of the states in ``spec`` (``{name: unit or None}``) as plain arrays."""
        return {k: getattr(self, k).value if unit is None else
                self._internal(getattr(self, k).value, k, unit) for k, unit in spec.items()}

    def _write_states(self, spec: dict, new, old: dict):
        """Write ``new`` (a mapping or NamedTuple) back, each like its ``old`` value.

        Every shape is checked before anything is written, so a bad input leaves the model
        unchanged.
        """
        get = new.get if isinstance(new, dict) else lambda k: getattr(new, k)
        values = {k: u.math.asarray(get(k), dtype=old[k].dtype) if unit is None
                  else self._as_state(get(k), old[k], unit) for k, unit in spec.items()}
        for k, value in values.items():
            getattr(self, k).value = value

    def get_spike(self, *args, **kwargs):
        """Spike output (float 0/1 carrying the surrogate gradient); defined by each model."""
        raise NotImplementedError

    # ------------------------------------------------------------------ inputs
    @property
    def current_inputs(self) -> dict[str, Any] | None:
        """The registered current inputs (``None`` until the first one is added)."""
        return self._current_inputs

    @property
    def delta_inputs(self) -> dict[str, Any] | None:
        """The registered delta inputs (``None`` until the first one is added)."""
        return self._delta_inputs

    @staticmethod
    def _add(table: dict, kind: str, key: str, inp, label: str | None, owner) -> dict:
        if not isinstance(key, str):
            raise TypeError(f"{owner}: the {kind} input key must be a str; got {key!r}.")
        if label is not None and not isinstance(label, str):
            raise TypeError(f"{owner}: the {kind} input label must be a str; got {label!r}.")
        key = _labelled(key, label)
        table = {} if table is None else table
        if key in table and table[key] is not inp:
            raise ValueError(
                f"{owner}: {kind} input key {key!r} is already registered with a different "
                f"input; use another key, or pass the same object to re-register it."
            )
        table[key] = inp
        return table

    def add_current_input(self, key: str, inp, label: str | None = None):
        """Register a current input (array: one-shot; callable ``f(V)``: every step)."""
        self._current_inputs = self._add(self._current_inputs, "current", key, inp, label,
                                         type(self).__name__)

    def add_delta_input(self, key: str, inp, label: str | None = None):
        """Register a delta input (array: one-shot; callable ``f()``: every step)."""
        self._delta_inputs = self._add(self._delta_inputs, "delta", key, inp, label,
                                       type(self).__name__)

    def get_input(self, key: str):
        """Look ``key`` up among the current inputs, then the delta inputs."""
        for table in (self._current_inputs, self._delta_inputs):
            if table is not None and key in table:
                return table[key]
        raise ValueError(f"{type(self).__name__}: no current or delta input with key {key!r}.")

    @staticmethod
    def _sum(table, kind, init, args, label, pop, kwargs, which="all"):
        """Sum the inputs of ``table`` (``which``: 'all', 'values' or 'callables')."""
        if table is None:
            return init
        if label is UNLABELLED:
            keep = lambda key: _LABEL_SEP not in key  # noqa: E731
        else:
            prefix = None if label is None else _label_prefix(label)
            keep = lambda key: prefix is None or key.startswith(prefix)  # noqa: E731
        for key in tuple(table):
            inp = table[key]
            if not keep(key) or \
                    (which == "values" and callable(inp)) or \
                    (which == "callables" and not callable(inp)):
                continue
            try:
                init = init + (inp(*args, **kwargs) if callable(inp) else inp)
            except Exception as e:  # name the input that failed
                raise ValueError(f"Error in {kind} input {key!r} ({inp!r}): {e}") from e
            if pop and not callable(inp):
                table.pop(key)
        return init

    def sum_current_inputs(self, init, *args, label: str | None = None, pop: bool = True,
                           **kwargs):
        """``init`` plus every current input (callables get ``*args, **kwargs``)."""
        return self._sum(self._current_inputs, "current", init, args, label, pop, kwargs)

    def sum_delta_inputs(self, init, *args, label: str | None = None, pop: bool = True,
                         **kwargs):
        """``init`` plus every delta input (callables get ``*args, **kwargs``)."""
        return self._sum(self._delta_inputs, "delta", init, args, label, pop, kwargs)

    # --------------------------------------------- inputs as plain floats for the cores
    def _current_drive(self, x, unit, v_unit, *, label: str | None = None):
        """The external current for a pure core, in ``unit``, as a constant or ``f(v)``.

        ``x`` and the one-shot (array) current inputs are summed once, now. If callable
        inputs are registered the result is a function of the membrane potential ``v`` (a
        plain float array in ``v_unit``) so that the core can integrate it implicitly (its
        derivative enters the exponential-Euler Jacobian, as in ``brainpy.state``).
        """
        owner = type(self).__name__
        const = self._sum(self._current_inputs, "current", x, (), label, True, {}, "values")
        const = to_internal(const, unit, name="x", owner=owner)
        prefix = None if label is None else _label_prefix(label)
        if not any(callable(f) and (prefix is None or k.startswith(prefix))
                   for k, f in (self._current_inputs or {}).items()):
            return const

        def drive(v):
            total = self._sum(self._current_inputs, "current", 0.0 * unit, (v * v_unit,), label,
                              True, {}, "callables")
            return const + to_internal(total, unit, name="the current inputs", owner=owner)

        return drive

    def _delta_jump(self, unit, *, label: str | None = None):
        """Sum of the delta inputs in ``unit`` (0 when none)."""
        total = self.sum_delta_inputs(0.0 * unit, label=label, pop=True)
        return to_internal(total, unit, name="delta input", owner=type(self).__name__)
