"""Spiking neuron models: pure step functions and thin brainstate modules."""

from ._lif import LIF as LIF
from ._lif import LIFParams as LIFParams
from ._lif import LIFState as LIFState
from ._lif import lif_spike as lif_spike
from ._lif import lif_step as lif_step

__all__ = ["LIF"]
