"""`to_internal`/`check_values`: conversions and the error texts users see."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import saiunit as u

from spikax._units import MS, MV, PA, UnitError, check_values, to_internal


def test_converts_to_the_internal_unit():
    assert to_internal(0.005 * u.second, MS, name="tau", owner="LIF") == pytest.approx(5.0)
    np.testing.assert_allclose(to_internal(jnp.array([1.0, 2.0]) * u.nA, PA, name="x",
                                           owner="LIF"), [1000.0, 2000.0])


def test_wrong_dimension_names_owner_parameter_and_both_units():
    with pytest.raises(UnitError, match=r"LIF: `tau` needs units of ms .* got 10\.? mV"):
        to_internal(10.0 * u.mV, MS, name="tau", owner="LIF")


def test_unit_error_is_both_a_saiunit_and_a_type_error():
    assert issubclass(UnitError, u.UnitMismatchError) and issubclass(UnitError, TypeError)


def test_bare_number_shows_the_fix_unless_allowed():
    with pytest.raises(UnitError, match=r"bare number 10\.0\. Write e\.g\. `tau=10\.0 \* u\.ms`"):
        to_internal(10.0, MS, name="tau", owner="LIF")
    assert to_internal(10.0, MS, name="tau", owner="glif", allow_bare=True) == 10.0


def test_strings_are_rejected():
    with pytest.raises(TypeError, match="`V_th`"):
        to_internal("-50 mV", MV, name="V_th", owner="LIF")


def test_check_values_bounds_and_finiteness():
    check_values(np.array([1.0, 2.0]), name="tau", owner="X", lower=0.0, lower_open=True)
    with pytest.raises(ValueError, match=r"X: `tau` must lie in \(0\.0, inf\] ms; got 0\.0"):
        check_values(0.0, name="tau", owner="X", lower=0.0, lower_open=True, unit="ms")
    with pytest.raises(ValueError, match=r"`r` must lie in \[0\.0, 1\.0\]"):
        check_values([0.5, 1.5], name="r", owner="X", lower=0.0, upper=1.0)
    with pytest.raises(ValueError, match="must be finite"):
        check_values(np.inf, name="a", owner="X")


def test_traced_values_are_not_checked():
    jax.jit(lambda x: check_values(x, name="a", owner="X", lower=0.0) or x)(-1.0)
