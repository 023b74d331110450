"""spikax: JAX-native spiking neuron models.

The ``brainpy.state`` API (swap ``brainpy.state.LIF`` for ``spikax.LIF``), exact where exact
integration exists, validated against NEST and brainpy trace by trace, differentiable end to
end with surrogate gradients.
"""

from . import functional as functional
from . import plot as plot
from . import propagators as propagators
from . import surrogate as surrogate
from ._base import Neuron as Neuron
from ._checkpoint import load_states as load_states
from ._checkpoint import save_states as save_states
from ._sharding import shard as shard
from ._simulate import SimulationResult as SimulationResult
from ._simulate import simulate as simulate
from ._units import UnitError as UnitError
from .neurons import LIF as LIF
from .neurons import AdExIFRef as AdExIFRef
from .neurons import Gif as Gif
from .neurons import GIF as GIF
from .neurons import GifRef as GifRef
from .neurons import glif_psc_double_alpha as glif_psc_double_alpha
from .neurons import iaf_psc_alpha as iaf_psc_alpha

__version__ = "0.1.0"

__all__ = ["AdExIFRef", "GIF", "Gif", "GifRef", "LIF", "glif_psc_double_alpha", "iaf_psc_alpha",
           "Neuron", "SimulationResult", "UnitError", "shard", "simulate", "functional", "propagators",
           "surrogate", "plot", "save_states", "load_states"]
