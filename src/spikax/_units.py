"""Internal units and the one helper that converts user values into them.

The pure cores work on plain floats in NEST's internal units:

=========  =====  =============================================
quantity   unit   note
=========  =====  =============================================
time       ms
voltage    mV
current    pA
capacity   pF
conduct.   nS
resistance GOhm   ``GOhm * pA = mV``, ``nS * mV = pA``
rate       1/ms   (``kHz``)
=========  =====  =============================================

Every conversion goes through :func:`to_internal`, whose errors name the owner, the
parameter, the expected unit and what was received.
"""

from __future__ import annotations

import jax
import numpy as np
import saiunit as u

__all__ = ["UnitError", "MS", "MV", "PA", "PF", "NS", "GOHM", "PER_MS", "to_internal",
           "is_concrete", "check_values"]

MS = u.ms
MV = u.mV
PA = u.pA
PF = u.pF
NS = u.nS
GOHM = u.Gohm
PER_MS = u.kHz  # 1/ms


class UnitError(u.UnitMismatchError, TypeError):
    """A value has the wrong physical dimension (or none where one is needed).

    Subclasses both :class:`saiunit.UnitMismatchError` and :class:`TypeError`, so either
    can be caught.
    """


def _unit_name(unit) -> str:
    return str(unit).replace(" ", "")


def to_internal(value, unit, *, name: str, owner: str, allow_bare: bool = False):
    """Return ``value`` expressed in ``unit`` as a plain number/array; name the culprit on failure.

    Parameters
    ----------
    value : Quantity, array_like
        What the user passed.
    unit : saiunit.Unit
        The internal unit (``ms``, ``mV``, ``pA``, ...).
    name, owner : str
        Parameter name and class (or function) name, used in error messages.
    allow_bare : bool, default False
        Read a number without units as already being in ``unit`` (NEST-style
        parameters). Otherwise a bare number is a :class:`UnitError` that shows the fix.
    """
    if isinstance(value, u.Quantity):
        if u.get_dim(value) != u.get_dim(unit):
            raise UnitError(
                f"{owner}: `{name}` needs units of {_unit_name(unit)} "
                f"(dimension {u.get_dim(unit)}); got {value} (dimension {u.get_dim(value)})."
            )
        return value.to_decimal(unit)
    if isinstance(value, (str, bytes)) or callable(value):
        raise TypeError(
            f"{owner}: `{name}` must be a number, an array or a saiunit Quantity in "
            f"{_unit_name(unit)}; got {value!r}."
        )
    if u.get_dim(unit) == u.DIMENSIONLESS or allow_bare:
        return value
    shown = value if np.ndim(value) == 0 else f"an array of shape {np.shape(value)}"
    raise UnitError(
        f"{owner}: `{name}` needs units of {_unit_name(unit)}; got the bare number {shown}. "
        f"Write e.g. `{name}={value if np.ndim(value) == 0 else 'x'} * u.{_unit_name(unit)}` "
        f"(import saiunit as u)."
    )


def is_concrete(x) -> bool:
    """True when ``x`` holds concrete values (not a tracer), so it can be validated eagerly."""
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(x))


def check_values(value, *, name: str, owner: str, shown=None, lower=None, upper=None,
                 lower_open: bool = False, upper_open: bool = False, unit: str = ""):
    """Raise ``ValueError`` unless every element of ``value`` is finite and within the bounds.

    ``lower_open``/``upper_open`` make the bound strict (``>``/``<``). ``shown`` is what to
    print as the received value (defaults to ``value``). Traced values are not checked.
    """
    if not is_concrete(value):
        return
    arr = np.asarray(value, dtype=float)
    shown = value if shown is None else shown
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{owner}: `{name}` must be finite; got {shown}.")
    lo = "(" if lower_open else "["
    hi = ")" if upper_open else "]"
    allowed = f"{lo}{'-inf' if lower is None else lower}, {'inf' if upper is None else upper}{hi}"
    ok = np.ones(arr.shape, bool)
    if lower is not None:
        ok &= (arr > lower) if lower_open else (arr >= lower)
    if upper is not None:
        ok &= (arr < upper) if upper_open else (arr <= upper)
    if not np.all(ok):
        raise ValueError(
            f"{owner}: `{name}` must lie in {allowed}{(' ' + unit) if unit else ''}; got {shown}."
        )
