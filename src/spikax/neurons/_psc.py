r"""Alpha-shaped postsynaptic currents integrated exactly (shared by the NEST models).

One alpha current with time constant $\tau_s$ is the pair $y_1 = \dot I$ [pA/ms],
$y_2 = I$ [pA]; a presynaptic weight $w$ [pA] makes $y_1$ jump by $w\,e/\tau_s$, so that
$I(t) = w\,(t/\tau_s)\,e^{1 - t/\tau_s}$ peaks at exactly $w$ at $t = \tau_s$. Over one
step $h$ (NEST's order: the membrane sees the old $y$'s, then $y_2$ is advanced with the
old $y_1$, then $y_1$ decays and receives the step's weights):

$$\Delta V = P_{31} y_1 + P_{32} y_2, \qquad
  y_2 \leftarrow P_{21} y_1 + P_{22} y_2, \qquad
  y_1 \leftarrow P_{11} y_1 + \frac{e}{\tau_s} w$$

with the entries of :mod:`spikax.propagators`. The helpers broadcast, so a trailing
receptor axis (one $\tau_s$ per receptor) works as is.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .. import propagators

__all__ = ["AlphaPSC", "alpha_psc", "alpha_psc_to_membrane", "alpha_psc_advance"]


class AlphaPSC(NamedTuple):
    """Per-step constants of one (or a stack of) alpha current(s)."""

    P11: jax.Array  # 1 (equals P22)
    P21: jax.Array  # ms
    P31: jax.Array  # mV / (pA/ms)
    P32: jax.Array  # mV / pA
    jump: jax.Array  # 1/ms: y1 increment per pA of weight, e / tau_syn


def alpha_psc(tau_syn, tau_m, c_m, h, *, mode=None) -> AlphaPSC:
    """Constants for alpha currents with ``tau_syn`` [ms] onto a membrane (``tau_m`` ms, ``c_m`` pF)."""
    tau_syn = jnp.asarray(tau_syn)
    P11, P21 = propagators.alpha_decay(tau_syn, h)
    P31, P32 = propagators.iaf_propagator_alpha(tau_syn, tau_m, c_m, h, mode=mode)
    return AlphaPSC(P11, P21, P31, P32, jnp.e / tau_syn)


def alpha_psc_to_membrane(c: AlphaPSC, y1, y2):
    """Membrane increment $P_{31} y_1 + P_{32} y_2$ [mV] from the currents before the step."""
    return c.P31 * y1 + c.P32 * y2


def alpha_psc_advance(c: AlphaPSC, y1, y2, w=0.0, *, P11_m1=None):
    r"""Advance ``(y1, y2)`` one step and add the weights ``w`` [pA] arriving in it.

    With ``P11_m1`` $= P_{11} - 1$ (:func:`spikax.propagators.decay_expm1`) the decay is
    applied as $y + ((P_{11} - 1)\,y + \dots)$: the rounding error of the stored factor then no
    longer compounds over the steps, which keeps float32 currents accurate over long runs.
    Without it, NEST's operations (for bitwise parity in float64).
    """
    if P11_m1 is None:
        y2 = c.P21 * y1 + c.P11 * y2
    else:
        y2 = y2 + (P11_m1 * y2 + c.P21 * y1)
    # y2 first, and y1 only after it (the barrier): in a loop the new y1 can then be written
    # over the old one, which XLA would otherwise copy every step to keep it for y2
    y2, y1 = jax.lax.optimization_barrier((y2, y1))
    if P11_m1 is None:
        return c.P11 * y1 + c.jump * w, y2
    return y1 + (P11_m1 * y1 + c.jump * w), y2
