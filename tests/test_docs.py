"""The documentation site builds with ``mkdocs build --strict`` and contains what it should.

One build per session (about 10-30 s: mkdocstrings reads the sources, the gallery hook imports
JAX and draws the surrogate gradients); the checks then read the built HTML.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")
pytest.importorskip("material")
pytest.importorskip("matplotlib")
yaml = pytest.importorskip("yaml")

import spikax  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    site = tmp_path_factory.mktemp("docs") / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", JAX_PLATFORMS="cpu")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    return proc, site


def _text(path: Path) -> str:
    return html.unescape(path.read_text(encoding="utf-8"))


def _nav_pages(nav) -> list[str]:
    pages = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages += _nav_pages(value)
        elif isinstance(value, str) and value.endswith(".md"):
            pages.append(value)
    return pages


def _config() -> dict:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def test_strict_build_passes_without_warnings(build):
    proc, site = build
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "WARNING" not in output, output
    assert (site / "index.html").is_file()


def test_every_page_is_in_the_nav_and_rendered(build):
    _, site = build
    config = _config()
    assert config.get("use_directory_urls") is False  # site/index.html works from disk
    nav = _nav_pages(config["nav"])
    assert len(nav) == len(set(nav))
    on_disk = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(nav) == on_disk
    for page in nav:
        built = site / (page[: -len(".md")] + ".html")
        assert built.is_file(), page
        assert "<h1" in built.read_text(encoding="utf-8"), page


def test_api_reference_covers_the_public_names(build):
    _, site = build
    anchors = set()
    for page in (site / "api").glob("*.html"):
        anchors |= set(re.findall(r'id="(spikax\.[\w.]+)"', page.read_text(encoding="utf-8")))
    modules = {"functional", "propagators", "surrogate"}
    for name in spikax.__all__:
        if name in modules:
            members = getattr(spikax, name).__all__
            missing = [m for m in members if f"spikax.{name}.{m}" not in anchors]
            assert not missing, (name, missing)
        else:
            assert f"spikax.{name}" in anchors, name


def test_lif_page_renders_the_docstring_equation(build):
    _, site = build
    equation = re.search(r"\$\$(.+?)\$\$", spikax.LIF.__doc__, re.S).group(1).strip()
    page = _text(site / "api" / "neurons.html")
    assert equation in page
    assert "Leaky integrate-and-fire neuron" in page
    assert 'class="arithmatex"' in page  # math is handed to MathJax, not left as $...$


def test_surrogate_gallery_is_generated(build):
    _, site = build
    png = site / "img" / "surrogate_gallery.png"
    assert png.is_file()
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5_000
    assert "img/surrogate_gallery.png" in _text(site / "surrogate.html")
    assert not list(DOCS.rglob("*.png"))  # drawn at build time, never committed


# The Python snippets of the migration pages that use spikax (the brainpy.state "before"
# block needs brainpy, which the suite does not install).
SNIPPETS = [("coming_from_nest.md", 0), ("coming_from_brainpy.md", 1)]


@pytest.mark.parametrize(("page", "index"), SNIPPETS)
def test_migration_snippets_run(page, index):
    import brainstate

    blocks = re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"),
                        flags=re.S)
    assert "import spikax" in blocks[index]
    namespace: dict = {}
    with brainstate.environ.context():
        exec(compile(blocks[index], page, "exec"), namespace)
    assert namespace["spikes"].shape[0] == 3000
