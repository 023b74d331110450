"""spikax: JAX-native spiking neuron models.

The ``brainpy.state`` API (swap ``brainpy.state.LIF`` for ``spikax.LIF``), exact where exact
integration exists, validated against NEST and brainpy trace by trace, differentiable end to
end with surrogate gradients.
"""

from . import functional as functional
from . import propagators as propagators
from . import surrogate as surrogate
from ._base import Neuron as Neuron
from ._units import UnitError as UnitError
from .neurons import LIF as LIF

__version__ = "0.1.0"

__all__ = ["LIF", "Neuron", "UnitError", "functional", "propagators", "surrogate"]
