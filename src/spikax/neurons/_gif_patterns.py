"""The firing-pattern repertoire of the GIF model (Mihalas & Niebur 2009) as data.

Sources. Parameters: Table 1 of Mihalas & Niebur, Neural Comput. 21(3):704-718 (2009),
p. 711 (``a``, ``A1/C``, ``A2/C`` and the duration of each panel of their Fig. 1), as
tabulated by the ReScience reproduction of G. Detorakis (2017; repository
``ReScience/ReScience-submission``, ``article/detorakis-2017.md`` tables 4-6 and
``code/run_all.py``), which also gives the stimulus timings read off Fig. 1 (the paper does
not list them). brainpy's example (``brainpy/examples``, ``neurons/Niebur_2009_GIF.py``,
commit de27a77f25e43fce192ba4c1d7d23bc238fa1b3d) reproduces the same table with a few
differences: panels 1K/1L use ``a = 0, V_th_inf = -120 mV`` instead of the paper's
``a = 30/s``, and the timings of 1F, 1G, 1I, 1S differ slightly; we follow the paper.

Units: brainpy's classic GIF with ``R = 20 ohm`` and ``tau = 20 ms``, so that ``a`` in 1/ms
is the paper's value in 1/s divided by 1000 and ``A_j``, ``I`` in mA equal the paper's
``A_j/C``, ``I_e/C`` in V/s. Parameters not listed keep the GIF defaults, which are the
paper's common values (``b = 0.01/ms``, ``k1 = 0.2/ms``, ``k2 = 0.02/ms``, ``R1 = 0``,
``R2 = 1``, ``V_rest = V_reset = -70 mV``, ``V_th_inf = -50 mV``, ``V_th_reset = -60 mV``).
Initial state: the GIF defaults (``V = -70 mV``, ``theta = -50 mV``, no internal current),
except ``theta = -30 mV`` in 1H (as brainpy's example; the ReScience code also starts V at
-30 mV, which fires at once under the classic ``V >= theta`` test).
"""

from __future__ import annotations

from typing import NamedTuple

import brainstate
import jax.numpy as jnp
import numpy as np
import saiunit as u

__all__ = ["FiringPattern", "GIF_PATTERNS", "gif_pattern_stimulus", "simulate_gif_patterns"]


class FiringPattern(NamedTuple):
    """One row of the Mihalas-Niebur table."""

    panel: str  # the panel of the paper's Fig. 1
    title: str  # the paper's name of the behaviour
    params: dict  # GIF keyword arguments in brainpy's units (bare numbers), the rest default
    stimulus: tuple  # ((amplitude in mA, duration in ms), ...): a piecewise-constant current
    behaviour: str  # what the pattern shows (and what tests/neurons/test_gif_classic checks)
    V0: float = -70.0  # initial membrane potential (mV)
    V_th0: float = -50.0  # initial threshold (mV)


_A = dict(a=0.005)  # the paper's a = 5/s
_BURST = dict(a=0.005, A1=10.0, A2=-0.6)
_MIXED = dict(a=0.005, A1=5.0, A2=-0.3)


def _p(panel, title, params, stimulus, behaviour, V0=-70.0, V_th0=-50.0):
    return FiringPattern(panel, title, params, stimulus, behaviour, V0, V_th0)


#: The 20 behaviours of Mihalas & Niebur (2009), Fig. 1 A-T / Table 1, in the paper's order.
GIF_PATTERNS: dict[str, FiringPattern] = {
    "tonic_spiking": _p("1A", "Tonic spiking", {}, ((1.5, 200.0),),
                        "regular spikes at a constant rate"),
    "class_1_excitability": _p(
        "1B", "Class 1 excitability", {}, ((1.0 + 1e-6, 500.0),),
        "the rate rises continuously from zero with the current (slow spiking at rheobase)"),
    "spike_frequency_adaptation": _p("1C", "Spike frequency adaptation", _A, ((2.0, 200.0),),
                                     "interspike intervals grow"),
    "phasic_spiking": _p("1D", "Phasic spiking", _A, ((1.5, 500.0),),
                         "spikes only after the onset of a step, then silence"),
    "accommodation": _p(
        "1E", "Accommodation", _A,
        ((1.5, 100.0), (0.0, 500.0), (0.5, 100.0), (1.0, 100.0), (1.5, 100.0), (0.0, 100.0)),
        "a sudden step fires, a slow staircase to the same amplitude does not"),
    "threshold_variability": _p(
        "1F", "Threshold variability", _A,
        ((1.5, 20.0), (0.0, 180.0), (-1.5, 25.0), (0.0, 25.0), (1.5, 25.0), (0.0, 125.0)),
        "a pulse that fails alone fires after a hyperpolarizing pulse (threshold lowered)"),
    "rebound_spike": _p("1G", "Rebound spike", _A, ((0.0, 50.0), (-3.5, 756.0), (0.0, 194.0)),
                        "a spike after the release of a long hyperpolarization"),
    "class_2_excitability": _p(
        "1H", "Class 2 excitability", _A, ((2.0 * (1.0 + 1e-6), 300.0),),
        "spiking starts at a non-zero rate", V_th0=-30.0),
    "integrator": _p(
        "1I", "Integrator", _A,
        ((1.5, 20.0), (0.0, 10.0), (1.5, 20.0), (0.0, 250.0), (1.5, 20.0), (0.0, 20.0),
         (1.5, 20.0), (0.0, 40.0)),
        "pulses 10 ms apart summate to a spike, 20 ms apart they do not"),
    "input_bistability": _p(
        "1J", "Input bistability", _A, ((1.5, 100.0), (1.7, 400.0), (1.5, 100.0), (1.7, 400.0)),
        "the same input level gives different responses depending on the history"),
    "hyperpolarization_induced_spiking": _p(
        "1K", "Hyperpolarization-induced spiking", dict(a=0.03), ((-1.0, 400.0),),
        "tonic spikes under a hyperpolarizing current (the threshold falls below V)"),
    "hyperpolarization_induced_bursting": _p(
        "1L", "Hyperpolarization-induced bursting", dict(a=0.03, A1=10.0, A2=-0.6),
        ((-1.0, 400.0),), "bursts under a hyperpolarizing current"),
    "tonic_bursting": _p("1M", "Tonic bursting", _BURST, ((2.0, 500.0),),
                         "repeated bursts: short intra-burst and long inter-burst intervals"),
    "phasic_bursting": _p("1N", "Phasic bursting", _BURST, ((1.5, 500.0),),
                          "one burst after the onset of a step, then silence"),
    "rebound_burst": _p("1O", "Rebound burst", _BURST,
                        ((0.0, 100.0), (-3.5, 500.0), (0.0, 400.0)),
                        "a burst after the release of a long hyperpolarization"),
    "mixed_mode": _p("1P", "Mixed mode", _MIXED, ((2.0, 500.0),),
                     "an onset burst followed by tonic spikes"),
    "afterpotentials": _p("1Q", "Afterpotentials", _MIXED, ((2.0, 15.0), (0.0, 185.0)),
                          "after the spike V overshoots rest (depolarizing afterpotential)"),
    "basal_bistability": _p(
        "1R", "Basal bistability", dict(A1=8.0, A2=-0.1),
        ((5.0, 10.0), (0.0, 90.0), (5.0, 10.0), (0.0, 90.0)),
        "a pulse switches tonic spiking on, the next pulse switches it off"),
    "preferred_frequency": _p(
        "1S", "Preferred frequency", dict(a=0.005, A1=-3.0, A2=0.5),
        ((5.0, 5.0), (0.0, 5.0), (4.0, 5.0), (0.0, 385.0), (5.0, 5.0), (0.0, 45.0), (4.0, 5.0),
         (0.0, 345.0)),
        "a pulse pair at the resonant interval fires, the same pair at another interval not"),
    "spike_latency": _p("1T", "Spike latency", dict(a=-0.08), ((8.0, 2.0), (0.0, 48.0)),
                        "a short strong pulse fires a spike with a delay"),
}


def gif_pattern_stimulus(pattern: FiringPattern | str, dt: float = 0.1) -> np.ndarray:
    """The pattern's current, one value per step of ``dt`` ms (mA, float64)."""
    pattern = GIF_PATTERNS[pattern] if isinstance(pattern, str) else pattern
    return np.concatenate([np.full(int(round(d / dt)), amp, dtype=np.float64)
                           for amp, d in pattern.stimulus])


def simulate_gif_patterns(names=None, dt: float = 0.1, method: str = "exp_auto") -> dict:
    """Run the patterns ``names`` (default: all) as one :class:`spikax.GIF` population.

    Each neuron gets its pattern's parameters and stimulus (zero-padded to the longest one),
    in one ``brainstate.transform.for_loop``. Returns ``{name: dict(t, I, V, V_th, spike)}``
    with ms, mA, mV arrays cut to the pattern's own duration.
    """
    from ._gif_classic import GIF

    names = list(GIF_PATTERNS) if names is None else list(names)
    pats = [GIF_PATTERNS[k] for k in names]
    stim = [gif_pattern_stimulus(p, dt) for p in pats]
    T = max(len(s) for s in stim)
    x = np.zeros((T, len(pats)))
    for i, s in enumerate(stim):
        x[: len(s), i] = s
    keys = sorted({k for p in pats for k in p.params})
    base = dict(a=0.0, A1=0.0, A2=0.0, V_th_inf=-50.0, V_th_reset=-60.0)  # GIF's defaults
    params = {k: np.array([p.params.get(k, base[k]) for p in pats]) for k in keys}
    with brainstate.environ.context(dt=dt * u.ms):
        n = GIF(len(pats), method=method, V_initializer=np.array([p.V0 for p in pats]),
                Vth_initializer=np.array([p.V_th0 for p in pats]), **params)
        n.init_state()

        def step(k, xk):
            with brainstate.environ.context(t=k * dt * u.ms):
                spike = n.update(xk)
            return spike, n.V.value.to_decimal(u.mV), n.V_th.value.to_decimal(u.mV)

        spikes, V, th = brainstate.transform.for_loop(step, jnp.arange(T), jnp.asarray(x))
    spikes, V, th = (np.asarray(a) for a in (spikes, V, th))
    out = {}
    for i, (k, s) in enumerate(zip(names, stim)):
        m = len(s)
        out[k] = dict(t=np.arange(m) * dt, I=s, V=V[:m, i], V_th=th[:m, i],
                      spike=spikes[:m, i] > 0)
    return out
