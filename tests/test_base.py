"""`spikax.Neuron`: options, the input registry, and inputs under jit/for_loop."""

import brainstate
import jax.numpy as jnp
import numpy as np
import pytest
import saiunit as u

import spikax


class Probe(spikax.Neuron):
    """Minimal neuron to exercise the registry directly."""

    def init_state(self, batch_size=None, **kw):
        pass


def test_spk_reset_unknown_lists_the_options():
    with pytest.raises(ValueError, match=r"`spk_reset`.*\('soft', 'hard'\).*'fast'"):
        spikax.LIF(3, spk_reset="fast")


def test_spk_fun_must_be_callable():
    with pytest.raises(TypeError, match="`spk_fun`"):
        spikax.LIF(3, spk_fun=1.0)


def test_default_spk_fun_is_relu_grad():
    assert isinstance(spikax.LIF(1).spk_fun, spikax.surrogate.ReluGrad)
    assert isinstance(Probe(1).spk_fun, spikax.surrogate.ReluGrad)


def test_in_size_and_varshape():
    assert Probe(5).varshape == (5,)
    assert Probe((2, 3)).varshape == (2, 3)


def test_labels_prefix_the_key_and_filter_the_sums():
    n = Probe(2)
    n.add_current_input("a", 1.0 * u.pA)
    n.add_current_input("b", 2.0 * u.pA, label="fast")
    assert set(n.current_inputs) == {"a", "fast // b"}
    assert n.sum_current_inputs(0.0 * u.pA, label="fast") == 2.0 * u.pA
    assert set(n.current_inputs) == {"a"}  # the labelled one-shot input was consumed
    assert n.sum_current_inputs(0.0 * u.pA) == 1.0 * u.pA
    assert n.current_inputs == {}


def test_arrays_are_one_shot_callables_stay():
    n = Probe(1)
    n.add_current_input("once", 3.0 * u.pA)
    n.add_current_input("always", lambda v: 2.0 * v * u.pA / u.mV)
    assert n.sum_current_inputs(1.0 * u.pA, 5.0 * u.mV) == 14.0 * u.pA
    assert n.sum_current_inputs(1.0 * u.pA, 5.0 * u.mV) == 11.0 * u.pA
    assert list(n.current_inputs) == ["always"]


def test_delta_callables_get_no_arguments():
    n = Probe(1)
    n.add_delta_input("kick", lambda: 0.5 * u.mV)
    n.add_delta_input("once", 0.25 * u.mV)
    assert n.sum_delta_inputs(0.0 * u.mV) == 0.75 * u.mV
    assert n.sum_delta_inputs(0.0 * u.mV) == 0.5 * u.mV


def test_pop_false_keeps_array_inputs():
    n = Probe(1)
    n.add_delta_input("d", 1.0 * u.mV)
    assert n.sum_delta_inputs(0.0 * u.mV, pop=False) == 1.0 * u.mV
    assert n.sum_delta_inputs(0.0 * u.mV) == 1.0 * u.mV
    assert n.sum_delta_inputs(0.0 * u.mV) == 0.0 * u.mV


def test_same_key_other_object_is_an_error_same_object_is_not():
    n = Probe(1)
    inp = 1.0 * u.pA
    n.add_current_input("k", inp)
    n.add_current_input("k", inp)
    with pytest.raises(ValueError, match="'k' is already registered"):
        n.add_current_input("k", 2.0 * u.pA)


def test_nothing_registered_returns_init_unchanged():
    n = Probe(1)
    assert n.current_inputs is None and n.delta_inputs is None
    init = 4.0 * u.pA
    assert n.sum_current_inputs(init) is init


def test_get_input_looks_in_both_tables():
    n = Probe(1)
    c, d = 1.0 * u.pA, 2.0 * u.mV
    n.add_current_input("c", c)
    n.add_delta_input("d", d, label="r")
    assert n.get_input("c") is c
    assert n.get_input("r // d") is d
    with pytest.raises(ValueError, match="'nope'"):
        n.get_input("nope")


def test_a_failing_input_is_named():
    n = Probe(1)
    n.add_current_input("broken", lambda v: 1.0 * u.pA / 0 + v.missing)
    with pytest.raises(ValueError, match="'broken'"):
        n.sum_current_inputs(0.0 * u.pA, 1.0 * u.mV)


def test_one_shot_inputs_inside_for_loop_equal_direct_drive():
    """Registering I before each update == passing I as x (the LIF closed form checks both)."""
    I = jnp.linspace(0.0, 3.0, 50)

    def run(register):
        n = spikax.LIF(1)
        n.init_state()

        def step(i_k):
            if register:
                n.add_current_input("syn", i_k * u.mA)
                n.update()
            else:
                n.update(i_k * u.mA)
            return n.V.value.to_decimal(u.mV)

        return brainstate.transform.for_loop(step, I)

    a, b = run(True), run(False)
    np.testing.assert_array_equal(a, b)
    # and the registry is empty afterwards: one-shot inputs were consumed in the trace
    assert float(jnp.max(a)) > 1.0  # it did fire, so the reset path ran too


def test_callable_input_persists_across_jit_steps():
    n = spikax.LIF(1, tau=5 * u.ms)
    n.init_state()
    n.add_current_input("bias", lambda v: 0.5 * u.mA)
    step = brainstate.transform.jit(n.update)
    for _ in range(3):
        step(0.0 * u.mA)
    # three exact steps towards V_inf = R * 0.5 mA = 0.5 mV
    want = 0.5 * (1 - np.exp(-3 * 0.1 / 5.0))
    np.testing.assert_allclose(n.V.value.to_decimal(u.mV), want, rtol=1e-12)


def test_nonpositive_dt_is_rejected():
    n = spikax.LIF(1)
    n.init_state()
    with pytest.raises(ValueError, match="`dt`"):
        with brainstate.environ.context(dt=-0.1 * u.ms):
            n.update()


def test_bare_dt_is_read_as_ms():
    a = spikax.LIF(1)
    a.init_state()
    b = spikax.LIF(1)
    b.init_state()
    with brainstate.environ.context(dt=0.1):
        a.update(2.0 * u.mA)
    b.update(2.0 * u.mA)
    assert a.V.value == b.V.value


def test_unlabelled_selects_only_inputs_without_a_label():
    from spikax._base import UNLABELLED

    n = Probe(1)
    n.add_delta_input("plain", 1.0 * u.pA)
    n.add_delta_input("syn", 2.0 * u.pA, label="receptor_1")
    n.add_delta_input("bias", lambda: 4.0 * u.pA)
    assert n.sum_delta_inputs(0.0 * u.pA, label=UNLABELLED) == 5.0 * u.pA
    assert set(n.delta_inputs) == {"receptor_1 // syn", "bias"}
