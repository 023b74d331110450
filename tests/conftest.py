"""Test-wide settings: float64 by default, a 0.1 ms step, helpers for float32 runs.

brainstate 0.5 switches float64 off when it is imported, so precision is set *after*
importing it. Tests that need float32 use the ``precision`` fixture or
``brainstate.environ.context(precision=32)``.
"""

import brainstate
import pytest
import saiunit as u

brainstate.environ.set(precision=64)

# Generators of the committed reference data need NEST / brainpy: never collected.
collect_ignore_glob = ["reference/make_*.py"]
# Run in a subprocess with 4 host devices by test_sharding.py; not a test module.
collect_ignore = ["_sharded_run.py"]


@pytest.fixture(autouse=True)
def dt():
    """Every test runs with dt = 0.1 ms (and returns it in ms) and float64, whatever an
    earlier test left as the global default (a benchmark's ``main`` sets float32)."""
    with brainstate.environ.context(dt=0.1 * u.ms, precision=64):
        yield 0.1
    brainstate.environ.set(precision=64)


@pytest.fixture(params=[32, 64], ids=["float32", "float64"])
def precision(request):
    """Run a test once in float32 and once in float64."""
    with brainstate.environ.context(precision=request.param):
        yield request.param
