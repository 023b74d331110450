"""spikax.shard: a population split over 4 host CPU devices (a subprocess with
``XLA_FLAGS=--xla_force_host_platform_device_count=4``) gives the single-device spikes and
voltages, and its states and records stay sharded."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
import saiunit as u

import spikax

from .registry import IDS

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module", params=[32, 64], ids=["float32", "float64"])
def sharded_runs(request):
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, str(HERE / "_sharded_run.py"), str(request.param)],
                         cwd=HERE, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_sharded_run_equals_single_device(sharded_runs, request):
    eps = 8 * np.finfo(np.float32 if "float32" in request.node.name else np.float64).eps
    assert len(sharded_runs["models"]) == len(IDS)
    for r in sharded_runs["models"]:
        assert r["spikes"] > 0 and r["counts"] > 0 and r["batch_spikes"] > 0, r
        assert r["same_spikes"] and r["same_counts"] and r["batch_same_spikes"], r
        # elementwise updates: equal to the last bits (a per-neuron parameter's
        # transcendental may be folded for the population but computed for a slice)
        assert r["rel_dv"] <= eps and r["rel_dstate"] <= eps and r["batch_rel_dv"] <= eps, r
        # one loop per device, tiles inside each device's slice when asked for
        assert r["split"] and r["split_tiled"] and r["batch_split"], r
        assert r["state_devices"] == 4 and "neurons" in r["state_spec"], r
        # every per-neuron state split along its neuron axis (GLIF's (N, 2) currents too)
        assert all(spec == ["neurons"] for spec in r["specs"].values()), r
        assert r["batch_state_spec"] == [None, "neurons"], r
        assert r["record_devices"] == 4 and r["counts_devices"] == 4, r
        assert r["mesh"] == [["neurons", 4]]


def test_shard_indivisible_population(sharded_runs):
    # 6 neurons (GLIF's (6, 2) currents included: their neuron axis is the first) on 4 devices
    assert sharded_runs["indivisible"] == (
        "shard: no state has a neuron axis divisible by the 4 devices (neuron axis sizes: "
        "[6]); use a population size that is a multiple of 4.")


def test_shard_errors():
    lif = spikax.LIF(6)
    with pytest.raises(ValueError, match="no states"):
        spikax.shard(lif)
    lif.init_state()
    n = len(jax.devices())
    with pytest.raises(ValueError, match="available"):
        spikax.shard(lif, devices=n + 1)
    with pytest.raises(TypeError, match="devices"):
        spikax.shard(lif, devices=["cpu"])
    with pytest.raises(TypeError, match="brainstate module"):
        spikax.shard(object())


def test_shard_single_device_keeps_values_and_units():
    lif = spikax.LIF(4, V_initializer=lambda shape, **kw: 0.25 * u.mV * jax.numpy.ones(shape))
    lif.init_state()
    spikax.shard(lif, devices=1)
    assert lif.V.value.unit == u.mV
    assert lif.V.value.to_decimal(u.mV).tolist() == [0.25] * 4
