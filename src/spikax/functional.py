"""Pure functional cores of every model: ``<family>_step(params, state, inputs, dt)``.

Each ``*_step`` works on plain floats in internal units (ms, mV, pA, pF, nS, GOhm),
takes ``dt`` explicitly and returns ``(new_state, spike)`` (the classic GIF core,
``gif_classic_step``, keeps brainpy's units instead: mV, ms, mA, ohm). The same function
serves the module wrappers, a hand-written ``jax.lax.scan``, ``jax.vmap`` parameter sweeps and
``jax.grad`` with respect to inputs or parameters.
"""

from .neurons._adex import AdExParams as AdExParams
from .neurons._adex import AdExState as AdExState
from .neurons._adex import adex_spike as adex_spike
from .neurons._adex import adex_step as adex_step
from .neurons._common import exp_euler as exp_euler
from .neurons._common import exprel as exprel
from .neurons._common import nest_refractory_steps as nest_refractory_steps
from .neurons._gif import GifParams as GifParams
from .neurons._gif import GifState as GifState
from .neurons._gif import gif_spike as gif_spike
from .neurons._gif import gif_step as gif_step
from .neurons._gif_classic_core import GifClassicParams as GifClassicParams
from .neurons._gif_classic_core import GifClassicState as GifClassicState
from .neurons._gif_classic_core import gif_classic_integrate as gif_classic_integrate
from .neurons._gif_classic_core import gif_classic_propagator as gif_classic_propagator
from .neurons._gif_classic_core import gif_classic_step as gif_classic_step
from .neurons._glif import GlifParams as GlifParams
from .neurons._glif import GlifState as GlifState
from .neurons._glif import glif_init_state as glif_init_state
from .neurons._glif import glif_spike as glif_spike
from .neurons._glif import glif_step as glif_step
from .neurons._iaf import IafPscAlphaParams as IafPscAlphaParams
from .neurons._iaf import IafPscAlphaState as IafPscAlphaState
from .neurons._iaf import iaf_psc_alpha_step as iaf_psc_alpha_step
from .neurons._lif import LIFParams as LIFParams
from .neurons._lif import LIFState as LIFState
from .neurons._lif import lif_spike as lif_spike
from .neurons._lif import lif_step as lif_step

__all__ = ["AdExParams", "AdExState", "GifParams", "GifState", "adex_spike", "adex_step",
           "gif_spike", "gif_step", "GifClassicParams", "GifClassicState",
           "gif_classic_integrate", "gif_classic_propagator", "gif_classic_step",
           "GlifParams", "GlifState", "IafPscAlphaParams",
           "IafPscAlphaState", "LIFParams", "LIFState", "exp_euler", "exprel",
           "glif_init_state", "glif_spike", "glif_step",
           "iaf_psc_alpha_step", "nest_refractory_steps", "lif_spike", "lif_step"]
