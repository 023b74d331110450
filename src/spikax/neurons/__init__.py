"""Spiking neuron models: pure step functions and thin brainstate modules."""

from ._adex import AdExIFRef as AdExIFRef
from ._adex import AdExParams as AdExParams
from ._adex import AdExState as AdExState
from ._adex import adex_spike as adex_spike
from ._adex import adex_step as adex_step
from ._gif import Gif as Gif
from ._gif import GifParams as GifParams
from ._gif import GifRef as GifRef
from ._gif import GifState as GifState
from ._gif import gif_spike as gif_spike
from ._gif import gif_step as gif_step
from ._gif_classic import GIF as GIF
from ._gif_classic_core import GifClassicParams as GifClassicParams
from ._gif_classic_core import GifClassicState as GifClassicState
from ._gif_classic_core import gif_classic_propagator as gif_classic_propagator
from ._gif_classic_core import gif_classic_step as gif_classic_step
from ._gif_patterns import GIF_PATTERNS as GIF_PATTERNS
from ._gif_patterns import FiringPattern as FiringPattern
from ._gif_patterns import gif_pattern_stimulus as gif_pattern_stimulus
from ._gif_patterns import simulate_gif_patterns as simulate_gif_patterns
from ._glif import GlifParams as GlifParams
from ._glif import GlifState as GlifState
from ._glif import glif_init_state as glif_init_state
from ._glif import glif_psc_double_alpha as glif_psc_double_alpha
from ._glif import glif_spike as glif_spike
from ._glif import glif_step as glif_step
from ._iaf import IafPscAlphaParams as IafPscAlphaParams
from ._iaf import IafPscAlphaState as IafPscAlphaState
from ._iaf import iaf_psc_alpha as iaf_psc_alpha
from ._iaf import iaf_psc_alpha_step as iaf_psc_alpha_step
from ._lif import LIF as LIF
from ._lif import LIFParams as LIFParams
from ._lif import LIFState as LIFState
from ._lif import lif_spike as lif_spike
from ._lif import lif_step as lif_step

__all__ = ["AdExIFRef", "GIF", "GIF_PATTERNS", "Gif", "GifRef", "LIF", "glif_psc_double_alpha",
           "iaf_psc_alpha"]
