"""spikax: JAX-native spiking neuron models."""

from . import propagators as propagators
from . import surrogate as surrogate
from ._units import UnitError as UnitError

__version__ = "0.1.0"

__all__ = ["UnitError", "propagators", "surrogate"]
