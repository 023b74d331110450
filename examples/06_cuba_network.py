"""CUBA benchmark (Brette et al. 2007): 4000 spikax.LIF neurons with exponential current synapses.

Benchmark 2 of Brette et al. (2007, J. Comput. Neurosci. 23:349-398), the current-based
version of the Vogels & Abbott (2005) network, with the parameters of Brian's reference
script (brian2 ``examples/CUBA.py``): 3200 excitatory and 800 inhibitory leaky
integrate-and-fire neurons, each pair connected with probability 2 %,

    tau_m dV/dt = -(V - E_L) + g_e + g_i,   tau_e dg_e/dt = -g_e,   tau_i dg_i/dt = -g_i

with tau_m = 20 ms, E_L = -49 mV, V_th = -50 mV, V_reset = -60 mV, a 5 ms refractory
period, tau_e = 5 ms, tau_i = 10 ms; a spike adds w_e = 1.62 mV to g_e (excitatory
source) or w_i = -9 mV to g_i (inhibitory source) of its targets. E_L lies above threshold,
so every neuron fires on its own (18.9 Hz uncoupled); the recurrent inhibition brings the
network down. Initial V uniform in [V_reset, V_th], g = 0; 1 s at dt = 0.1 ms.

How it maps onto spikax:

* the membrane is a ``spikax.LIF`` population (R = 1 GOhm, so g in mV is R I with I in pA;
  the LIF's exponential-Euler step holds g constant over the step, where Brian integrates
  its decay within the step exactly);
* ``spikax.LIF`` has no refractory period: the network holds V at V_reset for the 50 steps
  after a spike (as Brian's ``(unless refractory)``), with a per-neuron step counter;
* g_e, g_i are network states that decay by ``spikax.propagators.decay(tau, dt)`` per step;
* connectivity: a Bernoulli(0.02) draw per (target, source) pair, stored as padded lists of
  sources per target and summed with a gather (plain jax.numpy). brainstate's
  ``nn.EventFixedProb`` (in brainstate 0.5 and 0.6) would be the event-driven choice, but on
  CPU it needs brainevent's numba kernels and numba is not a spikax dependency; it also draws
  a fixed out-degree (80 targets per source) rather than independent pairs.

The loop is ``spikax.simulate(net, duration=..., record=('spike',), spikes='bool',
progress=True)``. ``--reference`` also runs an independent NumPy implementation of Brian's
scheme (exact sub-threshold integration, same connectivity and initial V) and prints its rates.

    python examples/06_cuba_network.py [--quick] [--plot cuba.png] [--reference]
"""

from __future__ import annotations

import argparse
import time

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import saiunit as u

import spikax

#: Brette et al. (2007) benchmark 2 / brian2 examples/CUBA.py, in ms and mV.
PARAMS = dict(tau_m=20.0, E_L=-49.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0, tau_e=5.0,
              tau_i=10.0, w_e=1.62, w_i=-9.0, p=0.02, frac_exc=0.8)


def fan_in(n_pre, n_post, p, rng):
    """Sources of each target for Bernoulli(p) connectivity: ``(n_post, k_max)`` int32 indices,
    padded with ``n_pre`` (an extra source that never spikes)."""
    mask = rng.random((n_post, n_pre)) < p
    counts = mask.sum(axis=1)
    k_max = max(int(counts.max()), 1)
    first = np.argsort(~mask, axis=1, kind="stable")[:, :k_max]  # the sources, in order
    return np.where(np.arange(k_max) < counts[:, None], first, n_pre).astype(np.int32)


def build(n=4000, seed=0, p=PARAMS["p"]):
    """Connectivity and initial potentials: ``dict(idx_e, idx_i, V0, n_exc)`` (NumPy)."""
    rng = np.random.default_rng(seed)
    n_exc = int(round(PARAMS["frac_exc"] * n))
    idx_e = fan_in(n_exc, n, p, rng)
    idx_i = fan_in(n - n_exc, n, p, rng)
    V0 = PARAMS["V_reset"] + rng.random(n) * (PARAMS["V_th"] - PARAMS["V_reset"])
    return dict(idx_e=idx_e, idx_i=idx_i, V0=V0, n_exc=n_exc)


def _count(spikes, idx):
    """Number of spiking sources of each target (``idx`` padded with ``len(spikes)``)."""
    padded = jnp.concatenate([spikes, jnp.zeros((1,), bool)])
    return padded[idx].sum(axis=-1)


class CUBANetwork(brainstate.nn.Module):
    """The CUBA network: one ``spikax.LIF`` population, exponential current synapses and a
    refractory clamp. ``update()`` advances one step and returns the spikes (bool)."""

    def __init__(self, conn, w_e=PARAMS["w_e"], w_i=PARAMS["w_i"]):
        super().__init__()
        P = PARAMS
        self.n_exc = conn["n_exc"]
        self.idx_e, self.idx_i = conn["idx_e"], conn["idx_i"]
        self.w_e, self.w_i = w_e * u.mV, w_i * u.mV
        self.R = 1.0 * u.Gohm
        self.pop = spikax.LIF(len(conn["V0"]), R=self.R, tau=P["tau_m"] * u.ms,
                              V_th=P["V_th"] * u.mV, V_reset=P["V_reset"] * u.mV,
                              V_rest=P["E_L"] * u.mV, V_initializer=conn["V0"] * u.mV,
                              spk_reset="hard")

    def _initial(self):
        n, dtype = self.pop.varshape[0], brainstate.environ.dftype()
        return dict(g_e=u.math.zeros(n, dtype=dtype) * u.mV,
                    g_i=u.math.zeros(n, dtype=dtype) * u.mV,
                    spike=jnp.zeros(n, bool), refractory=jnp.zeros(n, jnp.int32))

    def init_state(self, batch_size=None, **kwargs):
        if batch_size is not None:
            raise ValueError("CUBANetwork: batched states are not supported.")
        kinds = dict(g_e=brainstate.HiddenState, g_i=brainstate.HiddenState)
        for name, value in self._initial().items():
            setattr(self, name, kinds.get(name, brainstate.ShortTermState)(value))

    def reset_state(self, batch_size=None, **kwargs):
        for name, value in self._initial().items():
            getattr(self, name).value = value

    def update(self):
        dt = spikax.Neuron.dt_ms()
        n_ref = int(round(PARAMS["t_ref"] / dt))
        prev = self.spike.value
        g_e = self.g_e.value + self.w_e * _count(prev[:self.n_exc], self.idx_e)
        g_i = self.g_i.value + self.w_i * _count(prev[self.n_exc:], self.idx_i)
        spike = self.pop.update((g_e + g_i) / self.R) > 0
        ref = self.refractory.value
        self.pop.V.value = u.math.where(ref > 0, self.pop.V_reset, self.pop.V.value)
        spike = spike & (ref == 0)
        self.refractory.value = jnp.where(spike, n_ref, jnp.maximum(ref - 1, 0))
        self.spike.value = spike
        self.g_e.value = g_e * spikax.propagators.decay(PARAMS["tau_e"], dt)
        self.g_i.value = g_i * spikax.propagators.decay(PARAMS["tau_i"], dt)
        return spike


def run(conn, duration=1000.0, dt=0.1, w_e=PARAMS["w_e"], w_i=PARAMS["w_i"],
        progress=False, repeat=False):
    """Simulate the network; returns ``dict(spikes (T, N) bool, wall_s, rerun_s)``.

    ``wall_s`` is the first call (compilation + run); with ``repeat`` the same simulation
    runs again from the same initial state (the compiled loop is reused) and ``rerun_s`` is
    its time.
    """
    with brainstate.environ.context(dt=dt * u.ms):
        net = CUBANetwork(conn, w_e=w_e, w_i=w_i)
        brainstate.nn.init_all_states(net)

        def once():
            t0 = time.perf_counter()
            res = spikax.simulate(net, duration=duration * u.ms, record=("spike",),
                                  spikes="bool", progress=progress)
            spikes = np.asarray(jax.block_until_ready(res["spike"]))
            return spikes, time.perf_counter() - t0

        spikes, wall = once()
        rerun = None
        if repeat:
            again, rerun = once()
            assert np.array_equal(again, spikes), "a repeated run must be identical"
    return dict(spikes=spikes, wall_s=wall, rerun_s=rerun)


def uncoupled_period_steps(dt=0.1):
    """Steps between spikes of a neuron without synapses: the refractory steps plus the
    charge from V_reset to V_th towards E_L (the LIF step is exact for a constant drive)."""
    P = PARAMS
    charge = P["tau_m"] * np.log((P["E_L"] - P["V_reset"]) / (P["E_L"] - P["V_th"])) / dt
    return int(round(P["t_ref"] / dt)) + int(np.ceil(charge))


def uncoupled_counts(V0, steps, dt=0.1):
    """Closed-form spike counts without synapses: first spike at step
    ``ceil(tau ln((E_L - V0) / (E_L - V_th)) / dt) - 1``, then one every period."""
    P = PARAMS
    first = np.ceil(P["tau_m"] * np.log((P["E_L"] - V0) / (P["E_L"] - P["V_th"])) / dt) - 1
    first = first.astype(int)
    return np.where(first < steps, 1 + (steps - 1 - first) // uncoupled_period_steps(dt), 0)


def reference_numpy(conn, steps, dt=0.1, w_e=PARAMS["w_e"], w_i=PARAMS["w_i"]):
    """Independent NumPy implementation of Brian's CUBA scheme (float64): exact integration
    of V with g_e, g_i decaying within the step, threshold ``V > V_th``, spikes added to g at
    the end of the step, V frozen for 5 ms after a spike. Returns spike counts per neuron."""
    P = PARAMS
    idx_e, idx_i, n_exc = conn["idx_e"], conn["idx_i"], conn["n_exc"]
    V = np.array(conn["V0"], dtype=float)
    n = V.size
    g_e, g_i = np.zeros(n), np.zeros(n)
    Pm, Pe, Pi = (np.exp(-dt / P[k]) for k in ("tau_m", "tau_e", "tau_i"))
    Ae = P["tau_e"] / (P["tau_e"] - P["tau_m"])  # V's response to a decaying g
    Ai = P["tau_i"] / (P["tau_i"] - P["tau_m"])
    n_ref = int(round(P["t_ref"] / dt))
    frozen = np.zeros(n, int)
    counts = np.zeros(n, int)
    pad = np.zeros(1, bool)
    for _ in range(steps):
        active = frozen == 0
        V_new = P["E_L"] + (V - P["E_L"]) * Pm + Ae * g_e * (Pe - Pm) + Ai * g_i * (Pi - Pm)
        V = np.where(active, V_new, V)
        frozen = np.maximum(frozen - 1, 0)
        g_e *= Pe
        g_i *= Pi
        spike = active & (V > P["V_th"])
        g_e += w_e * np.concatenate([spike[:n_exc], pad])[idx_e].sum(axis=1)
        g_i += w_i * np.concatenate([spike[n_exc:], pad])[idx_i].sum(axis=1)
        V[spike] = P["V_reset"]
        frozen[spike] = n_ref
        counts += spike
    return counts


def rates(spikes_or_counts, n_exc, duration):
    """Mean excitatory and inhibitory rates (Hz) from a (T, N) raster or per-neuron counts."""
    c = np.asarray(spikes_or_counts)
    c = c.sum(axis=0) if c.ndim == 2 else c
    s = duration * 1e-3
    return float(c[:n_exc].sum() / (n_exc * s)), float(c[n_exc:].sum() / ((c.size - n_exc) * s))


def plot(spikes, n_exc, dt, path):
    """Raster (every neuron; excitatory blue, inhibitory red) and population rates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True,
                                      gridspec_kw=dict(height_ratios=[3, 1]))
    spikax.plot.raster(spikes[:, :n_exc], dt=dt, ax=top, marker=".", s=0.5, color="C0")
    spikax.plot.raster(spikes[:, n_exc:], dt=dt, ax=top, offset=n_exc, marker=".", s=0.5,
                       color="C3")
    top.set_ylim(-0.5, spikes.shape[1] - 0.5)
    top.set_xlabel("")
    e, i = rates(spikes, n_exc, spikes.shape[0] * dt)
    top.set_title(f"CUBA, {spikes.shape[1]} LIF neurons: excitatory {e:.2f} Hz (blue), "
                  f"inhibitory {i:.2f} Hz (red)")
    spikax.plot.rate(spikes[:, :n_exc], dt=dt, window=5.0, ax=bottom, color="C0",
                     label="excitatory")
    spikax.plot.rate(spikes[:, n_exc:], dt=dt, window=5.0, ax=bottom, color="C3",
                     label="inhibitory")
    bottom.legend(fontsize=8, loc="upper right")
    bottom.set_title("population rate (5 ms boxcar)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="400 neurons, 200 ms")
    parser.add_argument("--n", type=int, default=None, help="number of neurons (default 4000)")
    parser.add_argument("--duration", type=float, default=None, help="ms (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="connectivity and initial V")
    parser.add_argument("--reference", action="store_true",
                        help="also run the NumPy reference of Brian's scheme")
    parser.add_argument("--plot", default=None, help="save raster + rates to this PNG")
    args = parser.parse_args(argv)
    n = args.n or (400 if args.quick else 4000)
    duration = args.duration or (200.0 if args.quick else 1000.0)
    dt = 0.1
    if n < 5 or duration < dt:
        parser.error("need --n >= 5 and --duration >= 0.1")
    conn = build(n, seed=args.seed)
    n_exc = conn["n_exc"]
    print(f"CUBA (Brette et al. 2007, benchmark 2): {n} spikax.LIF neurons ({n_exc} E, "
          f"{n - n_exc} I), p = {PARAMS['p']}, {duration:g} ms at dt = {dt} ms, "
          f"float{np.dtype(brainstate.environ.dftype()).itemsize * 8}")
    k_e = (conn["idx_e"] < n_exc).sum()
    k_i = (conn["idx_i"] < n - n_exc).sum()
    print(f"synapses: {k_e} excitatory + {k_i} inhibitory (mean in-degree {k_e / n:.1f} + "
          f"{k_i / n:.1f})")
    out = run(conn, duration, dt, progress=True, repeat=True)
    spikes = out["spikes"]
    e, i = rates(spikes, n_exc, duration)
    steps = spikes.shape[0]
    print(f"mean rate: excitatory {e:.2f} Hz, inhibitory {i:.2f} Hz ({int(spikes.sum())} spikes)")
    print(f"without synapses every neuron would fire at "
          f"{1e3 / (uncoupled_period_steps(dt) * dt):.2f} Hz")
    print(f"wall time: {out['wall_s']:.2f} s first call (compile + run), {out['rerun_s']:.2f} s "
          f"second call ({n * steps / out['rerun_s']:.2e} neuron-steps/s), "
          f"{jax.devices()[0].platform}")
    if args.reference:
        t0 = time.perf_counter()
        ref = reference_numpy(conn, steps, dt)
        re, ri = rates(ref, n_exc, duration)
        print(f"NumPy reference (Brian's exact scheme, same connectivity and V0): "
              f"excitatory {re:.2f} Hz, inhibitory {ri:.2f} Hz ({time.perf_counter() - t0:.1f} s)")
    if args.plot:
        plot(spikes, n_exc, dt, args.plot)
        print(f"saved {args.plot}")
    ok = 0 < e < 1e3 / (uncoupled_period_steps(dt) * dt) + 1
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
