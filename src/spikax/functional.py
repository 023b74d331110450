"""Pure functional cores of every model: ``<family>_step(params, state, inputs, dt)``.

Each ``*_step`` works on plain floats in internal units (ms, mV, pA, pF, nS, GOhm),
takes ``dt`` explicitly and returns ``(new_state, spike)``. The same function serves the
module wrappers, a hand-written ``jax.lax.scan``, ``jax.vmap`` parameter sweeps and
``jax.grad`` with respect to inputs or parameters.
"""

from .neurons._common import exp_euler as exp_euler
from .neurons._common import exprel as exprel
from .neurons._lif import LIFParams as LIFParams
from .neurons._lif import LIFState as LIFState
from .neurons._lif import lif_spike as lif_spike
from .neurons._lif import lif_step as lif_step

__all__ = ["LIFParams", "LIFState", "exp_euler", "exprel", "lif_spike", "lif_step"]
