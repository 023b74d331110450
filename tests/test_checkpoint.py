"""save_states / load_states: a run resumed from a checkpoint equals the uninterrupted run."""

import brainstate
import jax.numpy as jnp
import numpy as np
import pytest
import saiunit as u

import spikax

N_STEPS = 300  # steps before and after the checkpoint


def _lif():
    return spikax.LIF(5, tau=10 * u.ms, spk_reset="hard"), u.mA, 1.4


def _glif5():
    return spikax.glif_psc_double_alpha(5, spike_dependent_threshold=True,
                                        after_spike_currents=True,
                                        adapting_threshold=True), u.pA, 450.0


def _gif_noisy():
    return spikax.GIF(5, a=0.005 / u.ms, A1=10.0 * u.mA, A2=-0.6 * u.mA,
                      noise=0.6 * u.mV / u.ms ** 0.5, noise_target="V"), u.mA, 1.5


MODELS = {"LIF": _lif, "glif_psc_double_alpha": _glif5, "GIF_noise": _gif_noisy,
          # refractoriness tested on t - last_spike_time: exact ties on the time grid
          "GifRef": lambda: (spikax.GifRef(5), u.mA, 1.5),
          "AdExIFRef": lambda: (spikax.AdExIFRef(5), u.mA, 25.0),
          "GIF_ref": lambda: (spikax.GIF(5, tau_ref=2.0 * u.ms), u.mA, 1.5),
          "Gif": lambda: (spikax.Gif(5), u.mA, 3.0),
          "iaf_psc_alpha": lambda: (spikax.iaf_psc_alpha(5), u.pA, 1000.0)}


def _drive(unit, amp):
    """A deterministic, time-varying current for 2 N steps, one column per neuron."""
    k = np.arange(2 * N_STEPS)[:, None]
    x = amp * (1.0 + 0.3 * np.sin(k / 23.0 + np.arange(5)[None, :]))
    return jnp.asarray(x) * unit


def _as_np(x):
    return np.asarray(u.get_mantissa(x))


@pytest.mark.parametrize("name", list(MODELS))
def test_resume_equals_uninterrupted(name, tmp_path, dt):
    record = ("spike", "V")

    # uninterrupted: 2N steps in one call
    brainstate.random.seed(7)
    whole, unit, amp = MODELS[name]()
    whole.init_state()
    xs = _drive(unit, amp)
    full = spikax.simulate(whole, xs, record=record, spikes="bool")

    # N steps, save, a new model (and a different random stream), load, N more steps
    brainstate.random.seed(7)
    first, _, _ = MODELS[name]()
    first.init_state()
    a = spikax.simulate(first, xs[:N_STEPS], record=record, spikes="bool")
    path = spikax.save_states(first, tmp_path / "ckpt")
    brainstate.random.seed(12345)  # as in a new process: the key comes from the file
    second, _, _ = MODELS[name]()
    second.init_state()
    restored = spikax.load_states(second, path)
    assert restored == sorted(spikax._checkpoint._paths(second, "test"))
    b = spikax.simulate(second, xs[N_STEPS:], record=record, spikes="bool", reset=False,
                        start_step=N_STEPS)

    spikes = np.concatenate([_as_np(a["spike"]), _as_np(b["spike"])])
    V = np.concatenate([_as_np(a["V"]), _as_np(b["V"])])
    assert V.dtype == np.float64
    assert spikes.sum() > 5, "the scenario should spike"
    np.testing.assert_array_equal(spikes, _as_np(full["spike"]))
    np.testing.assert_array_equal(V, _as_np(full["V"]))  # bitwise
    np.testing.assert_array_equal(_as_np(b.t), _as_np(full.t)[N_STEPS:])
    # final states agree too, spike-time stamps included (start_step gives exact times)
    ends = spikax._checkpoint._paths(whole, "test")
    for key, state in spikax._checkpoint._paths(second, "test").items():
        np.testing.assert_array_equal(_as_np(state.value), _as_np(ends[key].value),
                                      err_msg=key)


def test_noise_needs_the_saved_key(tmp_path):
    """Without restoring the random key the noisy GIF diverges: the key matters."""
    brainstate.random.seed(7)
    gif, unit, amp = _gif_noisy()
    gif.init_state()
    xs = _drive(unit, amp)
    spikax.simulate(gif, xs[:N_STEPS])
    path = spikax.save_states(gif, tmp_path / "ckpt.npz")
    after = spikax.simulate(gif, xs[N_STEPS:], record="V", reset=False)

    brainstate.random.seed(1)
    other, _, _ = _gif_noisy()
    other.init_state()
    spikax.load_states(other, path, random=False)
    drifted = spikax.simulate(other, xs[N_STEPS:], record="V", reset=False)
    assert not np.array_equal(_as_np(drifted["V"]), _as_np(after["V"]))


def test_round_trip_of_a_network(tmp_path):
    """Nested modules: states are saved under dotted paths, ints and bools keep their dtype."""

    class Net(brainstate.nn.Module):
        def __init__(self):
            super().__init__()
            self.pop = spikax.LIF(4)

        def init_state(self, batch_size=None, **kwargs):
            self.count = brainstate.ShortTermState(jnp.zeros(4, jnp.int32))
            self.flag = brainstate.ShortTermState(jnp.zeros(4, bool))

        def update(self, x):
            spk = self.pop.update(x)
            self.count.value = self.count.value + (spk > 0)
            self.flag.value = spk > 0
            return spk

    net = Net()
    brainstate.nn.init_all_states(net)
    spikax.simulate(net, lambda t: 2 * u.mA, steps=50, reset=False)
    path = spikax.save_states(net, tmp_path / "net", random=False)
    fresh = Net()
    brainstate.nn.init_all_states(fresh)
    assert spikax.load_states(fresh, path) == ["count", "flag", "pop.V"]
    for key, state in spikax._checkpoint._paths(net, "test").items():
        got = spikax._checkpoint._paths(fresh, "test")[key].value
        assert _as_np(got).dtype == _as_np(state.value).dtype
        np.testing.assert_array_equal(_as_np(got), _as_np(state.value))
    assert fresh.pop.V.value.unit == u.mV
    with pytest.raises(ValueError, match="holds no random key"):
        spikax.load_states(fresh, path, random=True)


# ---------------------------------------------------------------------------------- errors
def _saved_lif(tmp_path, **kwargs):
    lif = spikax.LIF(3, **kwargs)
    lif.init_state()
    return spikax.save_states(lif, tmp_path / "lif")


def test_missing_states_are_named(tmp_path):
    path = _saved_lif(tmp_path)
    gif = spikax.GifRef(3)
    gif.init_state()
    with pytest.raises(ValueError, match=r"model's states \[.*'I1'.*\] are not in the file"):
        spikax.load_states(gif, path)


def test_extra_state_in_file_is_named(tmp_path):
    gif = spikax.GifRef(3)
    gif.init_state()
    path = spikax.save_states(gif, tmp_path / "gif")
    lif = spikax.LIF(3)
    lif.init_state()
    with pytest.raises(ValueError, match=r"file's states \[.*'I1'.*\] are not in the model"):
        spikax.load_states(lif, path)


def test_shape_mismatch_names_the_state(tmp_path):
    path = _saved_lif(tmp_path)
    lif = spikax.LIF(3)
    lif.init_state(batch_size=2)
    with pytest.raises(ValueError, match=r"state 'V' has shape \(2, 3\) in the model but \(3,\)"):
        spikax.load_states(lif, path)


def test_dtype_mismatch_names_the_state(tmp_path):
    path = _saved_lif(tmp_path)
    with brainstate.environ.context(precision=32):
        lif = spikax.LIF(3)
        lif.init_state()
        with pytest.raises(ValueError, match="state 'V' has dtype float32"):
            spikax.load_states(lif, path)


def test_failed_load_changes_nothing(tmp_path):
    gif = spikax.GifRef(3)
    gif.init_state()
    gif.V.value = gif.V.value + 1 * u.mV
    path = spikax.save_states(gif, tmp_path / "gif")
    other = spikax.GifRef(3)
    other.init_state()
    before = _as_np(other.V.value).copy()
    data = dict(np.load(path))
    data["I1"] = np.zeros(4)
    np.savez(tmp_path / "bad.npz", **data)
    with pytest.raises(ValueError, match="state 'I1' has shape"):
        spikax.load_states(other, tmp_path / "bad.npz")
    np.testing.assert_array_equal(_as_np(other.V.value), before)


def test_not_a_checkpoint(tmp_path):
    np.savez(tmp_path / "plain.npz", V=np.zeros(3))
    lif = spikax.LIF(3)
    lif.init_state()
    with pytest.raises(ValueError, match="not written by spikax.save_states"):
        spikax.load_states(lif, tmp_path / "plain.npz")
    with pytest.raises(TypeError, match="brainstate module"):
        spikax.save_states(object(), tmp_path / "x")


def test_resuming_with_t0_instead_of_start_step_can_diverge(tmp_path, dt):
    """Why ``start_step`` exists: ``t0 = N dt`` rounds ``N dt + k dt`` differently from
    ``(N + k) dt``, and GifRef's refractory test sits exactly on that tie."""
    whole, unit, amp = MODELS["GifRef"]()
    whole.init_state()
    xs = _drive(unit, amp)
    full = spikax.simulate(whole, xs, record="V")
    first, _, _ = MODELS["GifRef"]()
    first.init_state()
    spikax.simulate(first, xs[:N_STEPS], record="V")
    b = spikax.simulate(first, xs[N_STEPS:], record="V", reset=False, t0=N_STEPS * dt * u.ms)
    assert not np.array_equal(_as_np(b["V"]), _as_np(full["V"])[N_STEPS:])


def test_the_guide_runs_and_prints_what_it_shows():
    import contextlib
    import io
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "guides" / "checkpoint.md"
    text = page.read_text()
    code = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    shown = re.findall(r"```text\n(.*?)```", text, flags=re.S)
    assert len(code) == len(shown) == 3
    out, namespace = io.StringIO(), {}
    with brainstate.environ.context(), contextlib.redirect_stdout(out):
        for block in code:
            exec(compile(block, str(page), "exec"), namespace)
    assert out.getvalue() == "".join(shown)
