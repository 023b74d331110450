"""mkdocs hook: draw the surrogate-gradient gallery at build time.

For every class in ``spikax.surrogate`` (the 18 of ``braintools.surrogate``, default
parameters) it plots the surrogate gradient ``jax.vmap(jax.grad(sg))(x)`` for x in [-3, 3]
into one PNG with matplotlib's Agg backend, and adds it to the site as ``img/surrogate_gallery.png``
(a generated file: nothing binary is committed, and ``docs/surrogate.md`` links to it, so
``mkdocs build --strict`` checks the link). Registered in ``mkdocs.yml`` under ``hooks:``.
"""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.gallery")

GALLERY = "img/surrogate_gallery.png"
_cache: dict[float, bytes] = {}


def _surrogate_classes(surrogate):
    """The surrogate classes of ``spikax.surrogate.__all__``, in the order listed there."""
    return [
        obj
        for name in surrogate.__all__
        if isinstance(obj := getattr(surrogate, name), type)
        and issubclass(obj, surrogate.Surrogate)
        and obj is not surrogate.Surrogate
    ]


def render_gallery() -> bytes:
    """The gallery figure as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import jax
    import jax.numpy as jnp
    import matplotlib.pyplot as plt

    from spikax import surrogate

    classes = _surrogate_classes(surrogate)
    ncols = 3
    nrows = -(-len(classes) // ncols)
    x = jnp.linspace(-3.0, 3.0, 601)
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 2.1 * nrows), sharex=True)
    for ax, cls in zip(axes.flat, classes):
        sg = cls()
        grad = jax.vmap(jax.grad(sg))(x)
        ax.plot(x, grad, color="tab:blue", lw=1.6)
        ax.axvline(0.0, color="0.75", lw=0.8, zorder=0)
        ax.axhline(0.0, color="0.75", lw=0.8, zorder=0)
        ax.set_title(repr(sg), fontsize=8)
        ax.tick_params(labelsize=7.5)
        ax.set_xlim(-3.0, 3.0)
    for ax in list(axes.flat)[len(classes):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("x", fontsize=8)
    fig.suptitle("Surrogate gradients g(x) = d spike / dx (forward pass: H(x) for all)",
                 fontsize=11)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def on_config(config, **kwargs):
    # Import spikax from this checkout's src/ (as mkdocstrings reads it), not another install.
    src = str(Path(config["config_file_path"]).parent / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    return config


def on_files(files, config, **kwargs):
    src_file = Path(config["config_file_path"]).parent / "src" / "spikax" / "surrogate.py"
    key = src_file.stat().st_mtime if src_file.exists() else 0.0
    if key not in _cache:
        _cache.clear()
        _cache[key] = render_gallery()
        log.info("surrogate gallery: %s (%d bytes)", GALLERY, len(_cache[key]))
    files.append(File.generated(config, GALLERY, content=_cache[key]))
    return files
