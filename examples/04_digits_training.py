"""Train a two-layer spiking network on scikit-learn's handwritten digits with surrogate gradients.

The 1797 8x8 digit images of ``sklearn.datasets.load_digits`` (shipped with scikit-learn, no
download) are split once into train and test sets (stratified, 20 % test, seed 0). Each
pixel becomes a Poisson spike train: over ``T`` steps of 1 ms it fires with probability
``intensity * p_max`` per step (fresh spike trains every epoch, fixed ones for the test set,
all drawn from ``jax.random`` keys derived from ``--seed``). The network is

    64 input spike trains -> Linear -> 256 spikax.LIF (spiking) -> Linear -> 10 spikax.LIF readout

The readout neurons have an unreachable threshold, so they are leaky integrators; their
membrane potential averaged over time is the logit of each class. Training is
backpropagation through time (``brainstate.transform.for_loop``) with the surrogate
gradient of the hidden spikes (``spikax.surrogate.ReluGrad``), a softmax cross-entropy loss
and ``braintools.optim.Adam``; the whole step (encoding, forward pass, gradient, update) is
one jitted function. The first Linear layer is applied to all ``T`` steps at once (one
``(T*B) x 64`` matmul) before the time loop.

    python examples/04_digits_training.py [--quick] [--epochs 30] [--plot digits.png]
"""

from __future__ import annotations

import argparse
import sys
import time

import brainstate
import braintools
import jax
import jax.numpy as jnp
import numpy as np
import saiunit as u

import spikax

DT = 1.0 * u.ms


def load_data(test_size=0.2, seed=0):
    """``(x_train, x_test, y_train, y_test)``: pixels scaled to [0, 1], a stratified split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return train_test_split(x, y.astype(np.int32), test_size=test_size, stratify=y,
                            random_state=seed)


def poisson_encode(key, x, steps, p_max=0.8):
    """Spike trains ``(steps, *x.shape)``: a pixel ``x`` in [0, 1] fires with probability
    ``x * p_max`` at each step."""
    return (jax.random.uniform(key, (steps, *x.shape)) < x * p_max).astype(jnp.float32)


class DigitsSNN(brainstate.nn.Module):
    """64 inputs -> Linear -> LIF (spiking) -> Linear -> LIF readout (leaky integrator)."""

    def __init__(self, n_in=64, n_hidden=256, n_out=10, tau=10.0 * u.ms, tau_out=10.0 * u.ms):
        super().__init__()
        # weights ~ N(0, scale / fan_in): large enough that ~10 % of the hidden neurons fire
        # and the readout potentials (the logits) are of order 1 mV from the start
        self.fc1 = brainstate.nn.Linear(n_in, n_hidden,
                                        w_init=braintools.init.KaimingNormal(scale=100.0))
        self.hidden = spikax.LIF(n_hidden, tau=tau, V_th=1.0 * u.mV, spk_reset="soft",
                                 spk_fun=spikax.surrogate.ReluGrad())
        self.fc2 = brainstate.nn.Linear(n_hidden, n_out,
                                        w_init=braintools.init.KaimingNormal(scale=50.0))
        # threshold far above anything the readout reaches: it never spikes
        self.readout = spikax.LIF(n_out, tau=tau_out, V_th=1e6 * u.mV)

    def update(self, spikes):
        """Logits ``(B, 10)`` (time-averaged readout potential in mV) and the hidden rate
        for input spike trains ``(T, B, 64)``."""
        T, B, n_in = spikes.shape
        drive = self.fc1(spikes.reshape(T * B, n_in)).reshape(T, B, -1)  # one matmul

        def step(cur):
            s = self.hidden.update(cur * u.mA)  # R = 1 ohm: 1 mA -> 1 mV
            self.readout.update(self.fc2(s) * u.mA)
            return self.readout.V.value.to_decimal(u.mV), s.mean()

        v, rate = brainstate.transform.for_loop(step, drive)
        return v.mean(axis=0), rate.mean()


class Trainer:
    """Jitted train and evaluation steps for a fixed batch size (the last batch is padded)."""

    def __init__(self, net, batch_size, steps, lr, seed=0):
        self.net, self.batch_size, self.steps = net, batch_size, steps
        self.weights = net.states(brainstate.ParamState)
        self.opt = braintools.optim.Adam(lr=lr)
        self.opt.register_trainable_weights(self.weights)
        with brainstate.environ.context(dt=DT):
            brainstate.nn.init_all_states(net, batch_size)
        self.train_step = brainstate.transform.jit(self._train_step)
        self.eval_step = brainstate.transform.jit(self._eval_step)

    def _forward(self, spikes):
        with brainstate.environ.context(dt=DT):
            brainstate.nn.reset_all_states(self.net, self.batch_size)
            return self.net.update(spikes)

    def _train_step(self, key, x, y):
        spikes = poisson_encode(key, x, self.steps)

        def loss_fn():
            logits, rate = self._forward(spikes)
            loss = braintools.metric.softmax_cross_entropy_with_integer_labels(logits, y).mean()
            return loss, (logits, rate)

        grads, loss, (logits, rate) = brainstate.transform.grad(
            loss_fn, self.weights, has_aux=True, return_value=True)()
        self.opt.update(grads)
        return loss, jnp.sum(logits.argmax(-1) == y), rate

    def _eval_step(self, key, x, y, mask):
        logits, _ = self._forward(poisson_encode(key, x, self.steps))
        loss = braintools.metric.softmax_cross_entropy_with_integer_labels(logits, y)
        return jnp.sum(loss * mask), jnp.sum((logits.argmax(-1) == y) * mask)

    def evaluate(self, key, x, y):
        """Mean loss and accuracy on ``(x, y)`` (fixed spike trains for a fixed ``key``)."""
        B, n = self.batch_size, len(x)
        pad = -n % B
        xp = np.concatenate([x, np.zeros((pad, x.shape[1]), x.dtype)])
        yp = np.concatenate([y, np.zeros(pad, y.dtype)])
        mask = np.concatenate([np.ones(n, np.float32), np.zeros(pad, np.float32)])
        loss = correct = 0.0
        for i, k in zip(range(0, n + pad, B), jax.random.split(key, (n + pad) // B), strict=True):
            sl = slice(i, i + B)
            l_, c_ = self.eval_step(k, xp[sl], yp[sl], mask[sl])
            loss, correct = loss + float(l_), correct + float(c_)
        return loss / n, correct / n

    def epoch(self, key, x, y, label=""):
        """One pass over a fresh permutation of the data (full batches only); mean loss and
        accuracy of the batches seen."""
        B = self.batch_size
        k_perm, k_enc = jax.random.split(key)
        order = np.asarray(jax.random.permutation(k_perm, len(x)))
        n_batches = len(x) // B
        losses, correct, t0 = [], 0.0, time.perf_counter()
        for b, k in enumerate(jax.random.split(k_enc, n_batches)):
            idx = order[b * B:(b + 1) * B]
            loss, c, rate = self.train_step(k, x[idx], y[idx])
            losses.append(float(loss))
            correct += float(c)
            progress(label, b + 1, n_batches, time.perf_counter() - t0,
                     f"loss {np.mean(losses):.3f}  acc {correct / ((b + 1) * B):.3f}  "
                     f"hidden rate {float(rate):.3f}")
        return float(np.mean(losses)), correct / (n_batches * B)


def progress(label, done, total, elapsed, info="", width=24):
    """A one-line text progress bar on stderr (``\\r``-updated, newline when done)."""
    filled = int(width * done / total)
    bar = "#" * filled + "." * (width - filled)
    sys.stderr.write(f"\r{label} [{bar}] {done}/{total} {elapsed:5.1f}s {info}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def train(epochs=30, n_train=None, batch_size=64, steps=25, lr=5e-3, n_hidden=256, seed=0,
          verbose=True):
    """Train and return a dict with the per-epoch history and the final test figures."""
    x_train, x_test, y_train, y_test = load_data()
    if n_train is not None:
        x_train, y_train = x_train[:n_train], y_train[:n_train]
    brainstate.random.seed(seed)  # the weight initialisation
    net = DigitsSNN(n_hidden=n_hidden)
    trainer = Trainer(net, batch_size, steps, lr)
    key = jax.random.PRNGKey(seed)
    k_test, key = jax.random.split(key)
    hist = dict(train_loss=[], train_acc=[], test_loss=[], test_acc=[])
    loss0, acc0 = trainer.evaluate(k_test, x_test, y_test)
    t0 = time.perf_counter()
    for ep in range(epochs):
        key, k = jax.random.split(key)
        tl, ta = trainer.epoch(k, x_train, y_train, label=f"epoch {ep + 1:2d}/{epochs}")
        vl, va = trainer.evaluate(k_test, x_test, y_test)
        for name, v in zip(hist, (tl, ta, vl, va), strict=True):
            hist[name].append(v)
        if verbose:
            print(f"epoch {ep + 1:2d}  train loss {tl:.4f}  train acc {ta:.4f}  "
                  f"test loss {vl:.4f}  test acc {va:.4f}", flush=True)
    return dict(hist, initial_test_loss=loss0, initial_test_acc=acc0,
                final_test_acc=hist["test_acc"][-1], final_test_loss=hist["test_loss"][-1],
                train_time=time.perf_counter() - t0, n_train=len(x_train), n_test=len(x_test))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 epochs on 512 training images")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default 30; quick 4)")
    parser.add_argument("--steps", type=int, default=25, help="time steps of 1 ms per image")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default=None, help="save loss and accuracy curves to this PNG")
    args = parser.parse_args(argv)
    epochs = args.epochs or (4 if args.quick else 30)
    t_start = time.perf_counter()
    res = train(epochs=epochs, n_train=512 if args.quick else None, steps=args.steps,
                seed=args.seed)
    total = time.perf_counter() - t_start
    print(f"train images {res['n_train']}, test images {res['n_test']}, {args.steps} steps each")
    print(f"test loss {res['initial_test_loss']:.4f} -> {res['final_test_loss']:.4f}")
    print(f"final test accuracy: {res['final_test_acc']:.4f} (chance 0.10)")
    print(f"training time {res['train_time']:.1f} s, total wall time {total:.1f} s")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        ep = np.arange(1, epochs + 1)
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
        ax1.plot(ep, res["train_loss"], "o-", ms=3, label="train")
        ax1.plot(ep, res["test_loss"], "s-", ms=3, label="test")
        ax1.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
        ax2.plot(ep, res["train_acc"], "o-", ms=3, label="train")
        ax2.plot(ep, res["test_acc"], "s-", ms=3, label="test")
        ax2.axhline(0.95, color="gray", lw=0.8, ls="--")
        ax2.set(xlabel="epoch", ylabel="accuracy", title="digits, 64-256-10 spiking network")
        for ax in (ax1, ax2):
            ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"saved {args.plot}")
    ok = res["final_test_acc"] > (0.5 if args.quick else 0.95)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
