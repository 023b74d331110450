"""Generate the brainpy.state reference traces in this folder (run by hand, never in CI).

Environment (Python 3.12)::

    python3.12 -m venv /tmp/bp && /tmp/bp/bin/pip install brainpy==2.9.0
    /tmp/bp/bin/python tests/reference/make_brainpy_refs.py [lif] [adex] [gif]   # default: all

Each LIF scenario is written to ``brainpy_<name>.npz`` with arrays

* ``x``      external current per step, mA, shape ``(T, N)``;
* ``delta``  delta input per step, mV, shape ``(T, N)`` (all zero when unused);
* ``V``      membrane potential after each step, mV, shape ``(T, N)``;
* ``spike``  the spike output of each step (0/1), shape ``(T, N)``;

and ``meta``: a JSON string with the generator, library versions, ``dt``, the model, its
parameters (value lists and unit names) and what else drives the run (a callable
conductance input ``g * (E - V)``, initial V). The tests rebuild the same run with spikax
from ``meta`` alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import brainpy  # noqa: E402
import brainstate  # noqa: E402
import braintools  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import saiunit as u  # noqa: E402

brainstate.environ.set(precision=64)

OUT = Path(__file__).resolve().parent
DT = 0.1  # ms
UNITS = {"mV": u.mV, "ms": u.ms, "ohm": u.ohm, "mA": u.mA, "S": u.siemens}

LIF_DEFAULTS = dict(R=[1.0, "ohm"], tau=[5.0, "ms"], V_th=[1.0, "mV"], V_reset=[0.0, "mV"],
                    V_rest=[0.0, "mV"])
LIF_B = dict(R=[2.0, "ohm"], tau=[10.0, "ms"], V_th=[0.8, "mV"], V_reset=[-0.2, "mV"],
             V_rest=[0.1, "mV"])
LIF_HET = dict(R=[[1.0, 1.0, 2.0, 0.5], "ohm"], tau=[[2.0, 5.0, 10.0, 20.0], "ms"],
               V_th=[[0.5, 1.0, 1.5, 2.0], "mV"], V_reset=[[0.0, -0.5, 0.2, -1.0], "mV"],
               V_rest=[0.0, "mV"])


def quantity(spec):
    value, unit = spec
    return jnp.asarray(value, dtype=jnp.float64) * UNITS[unit]


def scenario(name, params, spk_reset, x, *, V0=0.0, delta=None, conductance=None, seed=None):
    """Run brainpy.state.LIF over the current ``x`` (T, N) mA and save the trace."""
    T, N = x.shape
    delta = np.zeros_like(x) if delta is None else delta
    neuron = brainpy.state.LIF(
        N, **{k: quantity(v) for k, v in params.items()},
        V_initializer=braintools.init.Constant(V0 * u.mV), spk_reset=spk_reset)
    neuron.init_state()
    if conductance is not None:
        g, E = conductance["g_S"] * u.siemens, conductance["E_mV"] * u.mV
        neuron.add_current_input("conductance", lambda v: g * (E - v))

    def step(x_k, d_k):
        if np.any(delta):
            neuron.add_delta_input("kick", d_k * u.mV)
        spk = neuron.update(x_k * u.mA)
        return neuron.V.value.to_decimal(u.mV), spk

    with brainstate.environ.context(dt=DT * u.ms):
        V, spk = brainstate.transform.for_loop(step, jnp.asarray(x), jnp.asarray(delta))
    meta = dict(
        generator="tests/reference/make_brainpy_refs.py",
        brainpy=brainpy.__version__, brainstate=brainstate.__version__,
        braintools=braintools.__version__, saiunit=u.__version__, jax=jax.__version__,
        python=sys.version.split()[0], precision=64, dt_ms=DT, model="brainpy.state.LIF",
        params=params, spk_reset=spk_reset, V0_mV=V0, conductance=conductance, seed=seed,
        steps=T, n=N,
    )
    np.savez_compressed(OUT / f"brainpy_{name}.npz", x=x, delta=delta, V=np.asarray(V),
                        spike=np.asarray(spk), meta=json.dumps(meta))
    print(f"{name}: {int(np.sum(spk))} spikes, V range [{np.min(V):.4f}, {np.max(V):.4f}] mV")


def main():
    rng = np.random.default_rng(20261122)
    const = np.full((200, 1), 1.5)
    for reset in ("soft", "hard"):
        scenario(f"lif_const_{reset}", LIF_DEFAULTS, reset, const)
        x = 0.8 + 0.5 * rng.standard_normal((500, 3))
        scenario(f"lif_random_{reset}", LIF_B, reset, x, V0=0.5, seed=20261122)
        scenario(f"lif_hetero_{reset}", LIF_HET, reset, np.full((300, 4), 1.2))
    scenario("lif_conductance_soft", LIF_DEFAULTS, "soft", np.full((300, 2), 0.5),
             conductance=dict(g_S=0.3, E_mV=6.0))
    delta = np.zeros((300, 2))
    delta[::7, 0] = 0.3
    delta[::11, 1] = 0.45
    scenario("lif_delta_hard", LIF_B, "hard", np.full((300, 2), 0.2), delta=delta)


# ---------------------------------------------------------------- AdExIFRef, GifRef, Gif
# Files ``brainpy_{adex,gifref,gif}_*.npz``: ``x`` (T, *shape) mA, ``delta`` mV, ``V`` mV,
# ``spike``, every other state after each step (``w``, ``I1``, ``I2`` in mA, ``V_th`` mV,
# ``last_spike_time`` ms, ``refractory`` bool when ``ref_var``) and ``meta`` as above plus
# ``batch`` (init_state batch size or null), ``ref_var``, ``init`` (initial state values) and
# ``t_rule``: step k runs under ``environ.context(t=k * dt * u.ms)`` with ``k`` the integer
# index of ``brainstate.transform.for_loop`` (a jnp int; ``k * 0.1`` is computed in JAX).
XUNITS = {**UNITS, "1/ms": 1 / u.ms, "1": 1.0}
STATES = {"AdExIFRef": {"w": u.mA}, "GifRef": {"I1": u.mA, "I2": u.mA, "V_th": u.mV},
          "Gif": {"I1": u.mA, "I2": u.mA, "V_th": u.mV}}


def xquantity(spec):
    value, unit = spec
    return jnp.asarray(value, dtype=jnp.float64) * XUNITS[unit]


def state_scenario(name, model, params, spk_reset, x, *, batch=None, ref_var=None, init=None,
                   delta=None, conductance=None, seed=None):
    """Run ``brainpy.state.<model>`` over ``x`` (T, *shape) mA and save every state's trace."""
    T, N = x.shape[0], x.shape[-1]
    delta = np.zeros_like(x) if delta is None else delta
    init = init or {}
    kw = {k: xquantity(v) for k, v in params.items()}
    kw.update({f"{k}_initializer": braintools.init.Constant(xquantity(v))
               for k, v in init.items()})
    if ref_var is not None:
        kw["ref_var"] = ref_var
    neuron = getattr(brainpy.state, model)(N, spk_reset=spk_reset, **kw)
    neuron.init_state(batch_size=batch)
    if conductance is not None:
        g, E = conductance["g_S"] * u.siemens, conductance["E_mV"] * u.mV
        neuron.add_current_input("conductance", lambda v: g * (E - v))
    states = {"V": u.mV, **STATES[model]}
    if model != "Gif":
        states["last_spike_time"] = u.ms
    if ref_var:
        states["refractory"] = None

    def step(k, x_k, d_k):
        if np.any(delta):
            neuron.add_delta_input("kick", d_k * u.mV)
        with brainstate.environ.context(t=k * DT * u.ms):
            spk = neuron.update(x_k * u.mA)
        out = {key: getattr(neuron, key).value for key in states}
        return spk, {key: v if unit is None else v.to_decimal(unit)
                     for (key, v), unit in zip(out.items(), states.values())}

    with brainstate.environ.context(dt=DT * u.ms):
        spk, trace = brainstate.transform.for_loop(step, jnp.arange(T), jnp.asarray(x),
                                                   jnp.asarray(delta))
    meta = dict(
        generator="tests/reference/make_brainpy_refs.py",
        brainpy=brainpy.__version__, brainstate=brainstate.__version__,
        braintools=braintools.__version__, saiunit=u.__version__, jax=jax.__version__,
        python=sys.version.split()[0], precision=64, dt_ms=DT, model=f"brainpy.state.{model}",
        params=params, spk_reset=spk_reset, batch=batch, ref_var=ref_var, init=init,
        conductance=conductance, seed=seed, steps=T, n=N,
        t_rule="t = k * dt * u.ms, k = for_loop's jnp integer index",
        units=dict(x="mA", delta="mV", V="mV", w="mA", I1="mA", I2="mA", V_th="mV",
                   last_spike_time="ms"),
    )
    arrays = {key: np.asarray(v) for key, v in trace.items()}
    np.savez_compressed(OUT / f"brainpy_{name}.npz", x=x, delta=delta, spike=np.asarray(spk),
                        meta=json.dumps(meta), **arrays)
    V = arrays["V"]
    print(f"{name}: {int(np.sum(spk))} spikes, V range [{np.min(V):.4f}, {np.max(V):.4f}] mV")


def main_adex():
    rng = np.random.default_rng(20261123)
    ref175 = dict(tau_ref=[1.75, "ms"], b=[3.0, "mA"])
    for reset in ("soft", "hard"):
        state_scenario(f"adex_ref175_{reset}", "AdExIFRef", ref175, reset, np.full((1000, 1), 25.0))
    # brainpy defaults (tau_ref 1.7 ms = 17 dt: Q-1 sensitive, exact only with the same t rule)
    state_scenario("adex_defaults_x20_hard", "AdExIFRef", {}, "hard", np.full((300, 1), 20.0))
    state_scenario("adex_refvar_soft", "AdExIFRef", dict(tau_ref=[2.05, "ms"], a=[0.5, "S"]),
                   "soft", np.full((600, 2), 30.0), ref_var=True)
    x = 22.0 + 8.0 * rng.standard_normal((800, 3))
    state_scenario("adex_random_hard", "AdExIFRef", dict(tau_ref=[0.55, "ms"], b=[2.0, "mA"]),
                   "hard", x, init=dict(V=[-60.0, "mV"], w=[1.0, "mA"]),
                   conductance=dict(g_S=0.2, E_mV=0.0), seed=20261123)


GIF_SETS = {  # models.md section 9 (a)-(d); tau_ref 1.75 in (a), (b) avoids the Q-1 tie
    "a": (dict(tau_ref=[1.75, "ms"]), 1.5),
    "b": (dict(tau_ref=[1.75, "ms"], a=[0.005, "1/ms"], A1=[10.0, "mA"], A2=[-0.6, "mA"]), 1.5),
    "c": (dict(a=[-0.08, "1/ms"], tau_ref=[1.75, "ms"]), 2.0),
    "d": (dict(tau_ref=[2.05, "ms"], A1=[5.0, "mA"], R1=[0.5, "1"]), 3.0),
}


def main_gif():
    rng = np.random.default_rng(20261124)
    for key, (params, amp) in GIF_SETS.items():
        for reset in ("soft", "hard"):
            state_scenario(f"gifref_{key}_{reset}", "GifRef", params, reset,
                           np.full((1000, 2, 1), amp), batch=2)
    x = 2.0 + 1.5 * rng.standard_normal((1000, 3))
    delta = np.zeros_like(x)
    delta[::13, 1] = 0.5
    state_scenario("gifref_random_soft", "GifRef", GIF_SETS["b"][0], "soft", x, delta=delta,
                   init=dict(I1=[1.0, "mA"], I2=[-0.2, "mA"]), seed=20261124)
    state_scenario("gifref_refvar_hard", "GifRef", GIF_SETS["d"][0], "hard",
                   np.full((600, 2), 3.0), ref_var=True)
    state_scenario("gif_defaults_soft", "Gif", {}, "soft", np.full((1000, 1), 1.5))
    burst = dict(a=[0.005, "1/ms"], A1=[10.0, "mA"], A2=[-0.6, "mA"])
    for reset in ("soft", "hard"):
        state_scenario(f"gif_burst_{reset}", "Gif", burst, reset, np.full((1000, 1), 1.5))


if __name__ == "__main__":
    which = sys.argv[1:] or ["lif", "adex", "gif"]
    for part in which:
        {"lif": main, "adex": main_adex, "gif": main_gif}[part]()
