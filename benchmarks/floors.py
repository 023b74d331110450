"""Hand-written JAX floors: a model's step with nothing in it but the arithmetic.

A floor row answers "how fast can an XLA loop run this model on this machine at all?", so
that a ratio against a peer can be read against what is possible. Each floor computes the
same dynamics as the spikax model under the benchmark's constant drive (the tests check
that its spike counts equal spikax's), written the way one would by hand for this one case:

* every per-step constant (propagators, decay factors, thresholds) computed once in float64
  from spikax's own formulas and folded into the program as a literal;
* one flat array per state variable (no ``(N, 2)`` after-spike currents, no total
  ``threshold`` state, no surrogate gradient, no units, no ``t``);
* neuron tiles (``lax.map`` over tiles, ``lax.scan`` over time inside each) so that a
  tile's states stay in cache for all steps, and the same ``optimization_barrier`` on the
  shared values as spikax's steps;
* spike counts only.

It is not a model anyone could use (no inputs but the constant drive, one parameter set),
only a bound: what is left between a spikax row and its floor is the cost of the model's
generality, and a peer ratio above floor / peer is out of reach of an XLA loop here.

    runner = glif5_floor(drive_pA, steps)      # drive: (N,) float32, pA
    counts = runner()                          # (N,) spike counts of `steps` steps
    runner = adex_floor(params, drive_pA, steps)   # params: AdExParams of the model
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from spikax import propagators
from spikax.functional import GlifParams, exprel, nest_refractory_steps
from spikax.neurons._glif_parts import asc_constants, theta_spike_constants, theta_voltage_constants
from spikax.neurons._psc import alpha_psc

#: Tile size of the floors (neurons): a GLIF5 tile's 12 state arrays fit in L1/L2.
TILE = 512


def _f(x) -> float:
    return float(np.asarray(x, np.float64).reshape(-1)[0])


def glif5_constants(dt: float = 0.1) -> dict:
    """The per-step constants of GLIF5 (NEST's default parameters, one receptor) as floats,
    from the same spikax functions the model uses (computed in float64)."""
    x64 = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)  # the constants in float64
    try:
        return _glif5_constants(dt)
    finally:
        jax.config.update("jax_enable_x64", x64)


def _glif5_constants(dt):
    p = GlifParams(*(np.asarray(x, np.float64) for x in GlifParams()))
    tau_m = p.C_m / p.g
    P33, P30 = propagators.membrane_propagators(tau_m, p.C_m, dt)
    fast = alpha_psc(p.tau_syn_fast, tau_m, p.C_m, dt)
    slow = alpha_psc(p.tau_syn_slow, tau_m, p.C_m, dt)
    ths_decay, _, ths_decay_ref = theta_spike_constants(p.th_spike_decay, p.t_ref, dt)
    ac = asc_constants(p.asc_decay, p.asc_r, p.t_ref, dt, nest_ops=True)
    tv = theta_voltage_constants(p.g, p.C_m, p.th_voltage_index, p.th_voltage_decay, dt)
    c = dict(
        P33=P33, P30=P30, inv_g=1.0 / p.g,
        P11f=fast.P11, P21f=fast.P21, P31f=fast.P31, P32f=fast.P32,
        P11s=slow.P11, P21s=slow.P21, P31s=slow.P31, P32s=slow.P32,
        ths_decay=ths_decay, ths_decay_ref=ths_decay_ref, th_spike_add=p.th_spike_add,
        th_inf=p.th_inf, f_v=p.voltage_reset_fraction, V_add=p.voltage_reset_add,
        pd=tv.potential_decay, di=tv.decay_inverse, phi=tv.phi, ratio=tv.ratio,
        n_ref=int(nest_refractory_steps(p.t_ref, dt)))
    for j in range(2):
        c[f"mean{j}"], c[f"decay{j}"] = ac.mean[j], ac.decay[j]
        c[f"amp{j}"], c[f"left{j}"] = p.asc_amps[j], ac.refractory[..., j]
    return {k: (v if isinstance(v, int) else _f(v)) for k, v in c.items()}


def _glif5_step(c, s, drive):
    """One GLIF5 step (NEST's order; U relative to E_L) on flat arrays."""
    U, ths, thv, a0, a1, y1f, y2f, y1s, y2s, ref, I_stim, count = s
    refr = ref > 0
    ths_n = ths * c["ths_decay"]
    a0_n, a1_n = a0 * c["decay0"], a1 * c["decay1"]
    total = I_stim + c["mean0"] * a0 + c["mean1"] * a1
    mem = (U * c["P33"] + total * c["P30"] + c["P31f"] * y1f + c["P32f"] * y2f
           + c["P31s"] * y1s + c["P32s"] * y2s)
    beta = total * c["inv_g"]
    drift = c["phi"] * (U - beta)
    thv_n = drift * c["pd"] + c["di"] * (thv - drift - c["ratio"] * beta) + c["ratio"] * beta
    spiked = (mem > ths_n + thv_n + c["th_inf"]) & ~refr
    mem, ths_n, thv_n, a0_n, a1_n, spiked = jax.lax.optimization_barrier(
        (mem, ths_n, thv_n, a0_n, a1_n, spiked))

    def held(old, new):
        return jnp.where(refr, old, new)

    return (
        held(U, jnp.where(spiked, c["f_v"] * U + c["V_add"], mem)),
        held(ths, jnp.where(spiked, ths_n * c["ths_decay_ref"] + c["th_spike_add"], ths_n)),
        held(thv, thv_n),
        held(a0, jnp.where(spiked, c["amp0"] + a0_n * c["left0"], a0_n)),
        held(a1, jnp.where(spiked, c["amp1"] + a1_n * c["left1"], a1_n)),
        c["P11f"] * y1f, c["P21f"] * y1f + c["P11f"] * y2f,
        c["P11s"] * y1s, c["P21s"] * y1s + c["P11s"] * y2s,
        jnp.where(refr, ref - 1, jnp.where(spiked, c["n_ref"], 0)),
        drive,  # arrives now, drives the next step (NEST's ring buffer)
        count + spiked.astype(count.dtype),
    )


def glif5_floor(drive, steps: int, dt: float = 0.1, tile: int = TILE):
    """``run()``: the GLIF5 floor from rest under the constant per-neuron ``drive`` [pA]
    for ``steps`` steps; returns the spike counts (float32, shape of ``drive``)."""
    c = glif5_constants(dt)
    drive = jnp.asarray(drive, jnp.float32)
    n = drive.shape[0]
    pad = -n % tile
    padded = jnp.concatenate([drive, jnp.zeros(pad, jnp.float32)])

    def run_tile(d):
        z = jnp.zeros_like(d)
        s = (z,) * 9 + (jnp.zeros(d.shape, jnp.int32), z, z)
        s, _ = jax.lax.scan(lambda s, _: (_glif5_step(c, s, d), None), s, None, length=steps)
        return s[-1]

    @jax.jit
    def run(d):
        return jax.lax.map(run_tile, d.reshape(-1, tile)).reshape(-1)[:n]

    return lambda: run(padded)


def _adex_step(c, s, drive, t):
    """One AdExIFRef step (brainpy.state's order, exponential Euler) on flat arrays; ``c``
    holds the parameters in spikax's internal units (mV, ms, pA, nS, GOhm)."""
    V, w, last, count = s
    fired_before = V >= c["V_th"]
    v_r = jnp.where(fired_before, V - (c["V_th"] - c["V_reset"]), V)
    w_r = jnp.where(fired_before, w + c["b"], w)
    arg = (v_r - c["V_T"]) / c["delta_T"]
    e = jnp.exp(jnp.minimum(arg, 20.0))
    dv = (-(v_r - c["V_rest"]) + c["delta_T"] * e - c["R"] * w_r + c["R"] * drive) / c["tau"]
    dvdv = (-1.0 + jnp.where(arg < 20.0, e, 0.0)) / c["tau"]
    phi = jax.lax.optimization_barrier(exprel(jnp.minimum(c["dt"] * dvdv, 20.0)))
    v_c = v_r + c["dt"] * phi * dv
    v_c, v_r, w_r, last = jax.lax.optimization_barrier((v_c, v_r, w_r, last))
    w_c = w_r + c["dt"] * c["phi_w"] * ((c["a"] * (v_c - c["V_rest"]) - w_r) / c["tau_w"])
    refr = (t - last) < c["tau_ref"]
    V, w = jnp.where(refr, v_r, v_c), jnp.where(refr, w_r, w_c)
    fired = V >= c["V_th"]
    return V, w, jnp.where(fired, t, last), count + fired.astype(count.dtype)


def adex_floor(params, drive, steps: int, dt: float = 0.1, tile: int = TILE,
               V0: float = -65.0):
    """``run()``: the AdExIFRef floor from ``V = V0``, ``w = 0`` under the constant
    per-neuron ``drive`` [pA] for ``steps`` steps; ``params`` an ``AdExParams`` of scalars
    (e.g. ``model._params()``). Returns the spike counts (float32)."""
    c = {k: _f(v) for k, v in params._asdict().items()}
    c["dt"] = dt
    c["phi_w"] = _f(exprel(np.float64(-dt / c["tau_w"])))
    drive = jnp.asarray(drive, jnp.float32)
    n = drive.shape[0]
    padded = jnp.concatenate([drive, jnp.zeros(-n % tile, jnp.float32)])

    def run_tile(d):
        z = jnp.zeros_like(d)
        s = (z + V0, z, z - 1e7, z)

        def body(s, k):
            return _adex_step(c, s, d, k.astype(jnp.float32) * jnp.float32(dt)), None

        s, _ = jax.lax.scan(body, s, jnp.arange(steps))
        return s[-1]

    @jax.jit
    def run(d):
        return jax.lax.map(run_tile, d.reshape(-1, tile)).reshape(-1)[:n]

    return lambda: run(padded)
