"""The compiled simulation loop does no per-step work that can be done once.

With parameters fixed, decay factors, propagators and scaled thresholds are constants of
the compiled loop (XLA folds them); the only transcendental functions left in a step are
those of the dynamics themselves (AdExIF's exponential spike current and the
exponential-Euler factor of its V-dependent Jacobian). Checked on the optimised HLO that
``spikax.simulate`` runs, in float32 and float64.
"""

import re

import jax.numpy as jnp
import pytest

import spikax
import spikax._simulate as sim_mod

from .registry import IDS, NEURONS

TRANSCENDENTAL = ("exponential", "exponential-minus-one", "log", "log-plus-one", "power",
                  "tanh", "sqrt", "rsqrt", "cosine", "sine")
#: what the dynamics themselves need per step (everything else must be folded)
INTRINSIC = {"AdExIFRef": {"exponential": 1, "exponential-minus-one": 1}}


def _compiled_text(spec):
    model = spec.cls(8, **spec.kw)
    model.init_state()
    drive = jnp.ones(8) * spec.current
    spikax.simulate(model, lambda t: drive, steps=4, spikes="counts")
    (fn,) = sim_mod._CACHE[model].values()
    args = (None, jnp.asarray(0.0), jnp.asarray(0), jnp.asarray(4), None, ())
    return fn.lower(*args).compile().as_text()


@pytest.mark.parametrize("spec", NEURONS, ids=IDS)
def test_loop_has_no_foldable_transcendentals(spec, precision):
    text = _compiled_text(spec)
    assert "while" in text  # the loop is there (not unrolled away)
    found = {op: len(re.findall(rf"= \S+ {op}\(", text)) for op in TRANSCENDENTAL}
    found = {op: k for op, k in found.items() if k}
    assert found == INTRINSIC.get(spec.cls.__name__, {}), found
