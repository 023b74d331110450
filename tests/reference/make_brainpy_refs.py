"""Generate the brainpy.state reference traces in this folder (run by hand, never in CI).

Environment (Python 3.12)::

    python3.12 -m venv /tmp/bp && /tmp/bp/bin/pip install brainpy==2.9.0
    /tmp/bp/bin/python tests/reference/make_brainpy_refs.py

Each scenario is written to ``brainpy_<name>.npz`` with arrays

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


if __name__ == "__main__":
    main()
