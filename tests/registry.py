"""The one list of public neuron models; add a line when you add a model.

Each entry is a :class:`Model`: the class, small constructor kwargs, a current that makes it
fire within ~100 steps, and what the contract tests need to know about its parameters.
"""

from typing import Any, NamedTuple

import saiunit as u

import spikax


class Model(NamedTuple):
    cls: type
    kw: dict
    current: Any  # a Quantity that makes every neuron fire within ~100 steps of 0.1 ms
    time_param: str = "tau"  # a time constant that must be > 0 (checked for units/range)
    bare_numbers: bool = False  # parameters may be plain numbers in the documented unit


NEURONS = [
    Model(spikax.LIF, dict(tau=5.0 * u.ms), 3.0 * u.mA),
    # GifRef and AdExIFRef read `t` for refractoriness (run() below sets t = k * dt).
    Model(spikax.GifRef, dict(tau_ref=2.05 * u.ms, a=0.005 / u.ms), 3.0 * u.mA),
    Model(spikax.Gif, dict(a=0.005 / u.ms, A2=-0.6 * u.mA), 3.0 * u.mA),
    # classic brainpy.neurons.GIF: tau_ref not a multiple of dt (models.md Q-1)
    Model(spikax.GIF, dict(tau_ref=1.75 * u.ms, a=0.005 / u.ms, A2=-0.6 * u.mA), 4.0 * u.mA,
          bare_numbers=True),
    Model(spikax.AdExIFRef, dict(tau_ref=1.75 * u.ms), 25.0 * u.mA),
    Model(spikax.iaf_psc_alpha, dict(tau_syn_ex=2.0 * u.ms), 1000.0 * u.pA,
          time_param="tau_m", bare_numbers=True),
    # GLIF5; V starts off rest and I_e acts at once, so that the first update (whose
    # external current is delayed by a step, as in NEST) moves V.
    Model(spikax.glif_psc_double_alpha,
          dict(spike_dependent_threshold=True, after_spike_currents=True,
               adapting_threshold=True, I_e=50.0 * u.pA, V_initializer=-70.0 * u.mV),
          600.0 * u.pA, time_param="t_ref", bare_numbers=True),
]
IDS = [m.cls.__name__ for m in NEURONS]


def run(model, xs, dt=0.1):
    """Drive ``model`` (states initialised) with the per-step inputs ``xs`` (leading axis = time)
    through ``brainstate.transform.for_loop``; ``t = k * dt`` is set for step ``k``.

    Returns ``(spikes, V in mV)`` stacked over time.
    """
    import brainstate
    import jax.numpy as jnp

    def step(k, x):
        with brainstate.environ.context(t=k * dt * u.ms):
            spike = model.update(x)
        return spike, model.V.value.to_decimal(u.mV)

    n = xs.shape[0]
    return brainstate.transform.for_loop(step, jnp.arange(n), xs)
