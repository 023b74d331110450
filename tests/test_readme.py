"""The Python snippets of the README and the quickstart run as written."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", "docs/quickstart.md"]


def snippets(page):
    return re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(), flags=re.S)


@pytest.mark.parametrize("page", PAGES)
def test_page_snippets_run_in_order(page, capsys):
    import brainstate

    code = snippets(page)
    assert len(code) >= 2
    namespace = {}
    with brainstate.environ.context():
        for block in code:
            exec(compile(block, page, "exec"), namespace)
    out = capsys.readouterr().out
    assert out.strip()  # each page prints something it computed


def test_readme_example_output():
    import brainstate
    import numpy as np

    ns = {}
    with brainstate.environ.context():
        exec(compile(snippets("README.md")[0], "README.md", "exec"), ns)
    spikes = np.asarray(ns["spikes"])
    assert spikes.shape == (1000, 8, 100)
    # hard reset, tau 10 ms, R I = 1.5 mV: period ceil(10 ln 3 / 0.1) = 110 steps -> 9 spikes
    assert np.all(spikes.sum(axis=0) == 1000 // int(np.ceil(10 * np.log(3) / 0.1)))
