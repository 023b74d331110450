"""Generate the classic ``brainpy.neurons.GIF`` (brainpy 2.9.0) traces for ``spikax.GIF``.

Run by hand, never in CI (Python 3.12 with brainpy 2.9.0, see ``make_brainpy_refs.py``)::

    /tmp/bp/bin/python tests/reference/make_brainpy_refs_gif_classic.py

Each scenario is one ``brainpy.DSRunner(GIF(n, **params), inputs=[('input', x, 'iter')],
monitors=[...])`` run at ``dt = 0.1`` ms in float64 (``bm.enable_x64()``), written to
``brainpy_classicgif_<name>.npz`` with arrays

* ``x``      the external current per step (mA; the ``input`` variable, cleared by the runner
  after every step), shape ``(T, N)``;
* ``delta``  what a delta input (``add_inp_fun(..., category='delta')``) added to V at each
  step (mV), shape ``(T, N)``, all zero when unused;
* ``V``, ``V_th`` (mV), ``I1``, ``I2`` (mA), ``t_last_spike`` (ms), ``spike`` (0/1), and
  ``refractory`` (bool, with ``ref_var``) after each step, shape ``(T, N)``;
* ``t``      the runner's time of each step (ms);

and ``meta``: JSON with the generator, library versions, ``dt``, the parameters as plain
numbers in brainpy's (the page's) units (mV, ms, 1/ms, ohm, mA), the integration method,
the mode (``'nonbatching'`` or ``'training'``), ``spk_reset`` and a conductance input
``g * (E - V)`` (``add_inp_fun(..., category='current')``, evaluated by brainpy at the old V).
Training-mode runs use a batch of 1; their traces are stored without the batch axis.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import brainpy as bp  # noqa: E402
import brainpy.math as bm  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

bm.enable_x64()
DT = 0.1  # ms
bm.set_dt(DT)
OUT = Path(__file__).resolve().parent
MONITORS = ["V", "V_th", "I1", "I2", "spike", "t_last_spike"]
UNITS = dict(x="mA", delta="mV", V="mV", V_th="mV", I1="mA", I2="mA", t_last_spike="ms",
             t="ms", V_rest="mV", V_reset="mV", V_th_inf="mV", V_th_reset="mV", R="ohm",
             tau="ms", tau_ref="ms", a="1/ms", b="1/ms", k1="1/ms", k2="1/ms", R1="1", R2="1",
             A1="mA", A2="mA", V_init="mV", I1_init="mA", I2_init="mA", Vth_init="mV")


def scenario(name, params, x, *, method="exp_auto", mode="nonbatching", spk_reset="hard",
             ref_var=False, init=None, conductance=None, delta=None, seed=None):
    """Run ``brainpy.neurons.GIF(N, **params)`` over ``x`` (T, N) mA and save the traces.

    Outside training mode brainpy ignores ``spk_reset`` and always resets hard, which is what
    ``'hard'`` (the default here and spikax's) records.
    """
    T, N = x.shape
    init = init or {}
    kw = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    for key, arg in (("V_init", "V_initializer"), ("I1_init", "I1_initializer"),
                     ("I2_init", "I2_initializer"), ("Vth_init", "Vth_initializer")):
        if key in init:
            kw[arg] = bp.init.Constant(init[key])
    kwargs = dict(method=method, spk_reset=spk_reset, ref_var=ref_var, **kw)
    if mode == "training":
        with bm.training_environment():
            neuron = bp.neurons.GIF(N, **kwargs)
    else:
        neuron = bp.neurons.GIF(N, **kwargs)
    if conductance is not None:
        g, E = conductance["g"], conductance["E_mV"]
        neuron.add_inp_fun("conductance", lambda V: g * (E - V), category="current")
    delta = np.zeros_like(x) if delta is None else delta
    if np.any(delta):
        table = jnp.asarray(delta)
        neuron.add_inp_fun("kick", lambda: table[bp.share.load("i")], category="delta")
    monitors = MONITORS + (["refractory"] if ref_var else [])
    x_in = x[:, None, :] if mode == "training" else x
    runner = bp.DSRunner(neuron, inputs=[("input", x_in, "iter")], monitors=monitors,
                         progress_bar=False, data_first_axis="T")
    runner.run(T * DT)
    arrays = {}
    for key in monitors:
        value = np.asarray(runner.mon[key])
        arrays[key] = value[:, 0, :] if mode == "training" else value
    arrays["spike"] = arrays["spike"].astype(np.float64)
    meta = dict(
        generator="tests/reference/make_brainpy_refs_gif_classic.py",
        brainpy=bp.__version__, jax=jax.__version__, python=sys.version.split()[0],
        precision=64, dt_ms=DT, model="brainpy.neurons.GIF", runner="brainpy.DSRunner",
        params=params, init=init, method=method, mode=mode, spk_reset=spk_reset,
        ref_var=ref_var, conductance=conductance, seed=seed, steps=T, n=N, units=UNITS,
        t_rule="DSRunner: t = i * dt; the input variable is cleared after every step",
    )
    np.savez_compressed(OUT / f"brainpy_classicgif_{name}.npz", x=x, delta=delta,
                        t=np.asarray(runner.mon["ts"]), meta=json.dumps(meta), **arrays)
    k = np.flatnonzero(arrays["spike"][:, 0])
    print(f"{name}: {int(arrays['spike'].sum())} spikes, first steps of neuron 0: {k[:6]}")


def main():
    const = lambda amp, T=4000, N=1: np.full((T, N), amp)  # noqa: E731
    # models.md section 9, classic GIF rows
    scenario("defaults", {}, const(1.5))
    burst = dict(a=0.005, A1=10.0, A2=-0.6)
    scenario("burst", burst, const(1.5))
    scenario("adapt", dict(a=0.005, A2=-0.6), const(2.0))
    scenario("refractory", dict(tau_ref=1.75), const(3.0, 3000))
    scenario("aneg", dict(a=-0.08, tau_ref=1.75), const(2.0, 3000))
    # Time-varying input, heterogeneous parameters, ref_var, non-zero initial currents, a
    # conductance current input (evaluated at the old V) and delta kicks.
    rng = np.random.default_rng(20261125)
    x = 2.0 + 1.5 * rng.standard_normal((1200, 3))
    delta = np.zeros_like(x)
    delta[::13, 1] = 0.5
    scenario("mixed", dict(a=[0.005, -0.02, 0.0], A1=[10.0, 5.0, 0.0], A2=-0.6, R1=0.5,
                           tau_ref=[2.05, 0.55, 0.0], tau=[20.0, 15.0, 10.0]),
             x, ref_var=True, init=dict(I1_init=1.0, I2_init=-0.2, Vth_init=-52.0),
             conductance=dict(g=0.05, E_mV=0.0), delta=delta, seed=20261125)
    # The other integrators, as brainpy's odeint builds them for the JointEq.
    for method in ("euler", "rk4"):
        scenario(f"burst_{method}", burst, const(1.5, 2000), method=method)
    # Training mode (float spikes, the spk_reset formulas).
    for reset in ("soft", "hard"):
        scenario(f"burst_training_{reset}", burst, const(1.5, 2000), mode="training",
                 spk_reset=reset)
    scenario("refractory_training_soft", dict(tau_ref=1.75), const(3.0, 2000),
             mode="training", spk_reset="soft")


if __name__ == "__main__":
    main()
