"""Griffe extension: render the reStructuredText bits of spikax's numpy docstrings as Markdown.

The docstrings are numpydoc with ``$...$`` math (see the architecture notes), but some use
reST constructs that help() and Sphinx understand and Markdown does not. mkdocstrings passes
docstrings through Markdown, so this extension rewrites, when griffe loads an object
(the source files are not touched):

* roles: ``:math:`x``` -> ``$x$``; ``:class:`~a.b.C``` / ``:func:`f``` / ... -> a code span;
* ``.. math::`` blocks -> ``$$ ... $$``;
* simple reST tables (``====  ====`` borders) -> Markdown tables;
* definition-list entries whose term is a literal (a line that is only ````'nest'````
  followed by an indented description) -> Markdown ``def_list`` syntax;
* citations ``.. [1] text`` -> ``[1] text``;
* a literal default in a parameter line (``x : int, default ``3````) loses its backticks
  (the Default column shows it as code anyway).

Loaded by mkdocstrings from ``mkdocs.yml`` (``handlers.python.options.extensions``).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|obj|exc|const):`~?([^`]+)`")
_BORDER = re.compile(r"^( *)(=+)( +=+)+ *$")
_LITERAL_TERM = re.compile(r"^( *)``[^`]+``$")
_CITATION = re.compile(r"^( *)\.\. \[(\w+)\] ", re.M)
# "name : type, default ``X``": griffe would show the backticks in the Default column
_DEFAULT_LITERAL = re.compile(r"^( *\*{0,2}\w[\w, ]* : .*default )``([^`]+)``", re.M)


def _role(match: re.Match) -> str:
    target = match.group(1)
    shown = target.rsplit(".", 1)[-1] if match.group(0).split("`", 1)[1].startswith("~") else target
    return f"`{shown}`"


def _math_blocks(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = re.match(r"^( *)\.\. math::\s*$", lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent = len(m.group(1))
        i += 1
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or
                                  len(lines[i]) - len(lines[i].lstrip()) > indent):
            body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            i -= 1  # give trailing blank lines back
            body.pop()
        text = [b.strip() for b in body if b.strip()]
        pad = " " * indent
        out += [pad + "$$", *(pad + t for t in text), pad + "$$"]
    return out


def _split_row(line: str, spans: list[tuple[int, int]]) -> list[str]:
    cells = []
    for k, (start, end) in enumerate(spans):
        stop = len(line) if k == len(spans) - 1 else spans[k + 1][0]
        cells.append(line[start:stop].strip())
    return cells


def _tables(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _BORDER.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        border = lines[i]
        spans = [(s.start(), s.end()) for s in re.finditer(r"=+", border)]
        j = i + 1
        groups: list[list[str]] = [[]]
        while j < len(lines) and lines[j].strip():
            if _BORDER.match(lines[j]):
                groups.append([])
            else:
                groups[-1].append(lines[j])
            j += 1
        groups = [g for g in groups if g]
        if len(groups) < 1:
            out.append(lines[i])
            i += 1
            continue
        header = groups[0] if len(groups) > 1 else None
        body = [r for g in (groups[1:] if header else groups) for r in g]
        rows: list[list[str]] = []
        for line in body:
            cells = _split_row(line, spans)
            if rows and not cells[0]:  # continuation line
                rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells)]
            else:
                rows.append(cells)
        head = _split_row(" ".join(header), spans) if header else [""] * len(spans)
        pad = m.group(1)

        def fmt(cells: list[str]) -> str:
            return pad + "| " + " | ".join(c.replace("|", r"\|") for c in cells) + " |"

        out += [fmt(head), pad + "|" + "|".join(" --- " for _ in spans) + "|"]
        out += [fmt(r) for r in rows]
        i = j
    return out


def _definition_lists(lines: list[str]) -> list[str]:
    out: list[str] = []
    for k, line in enumerate(lines):
        prev = out[-1] if out else ""
        m = _LITERAL_TERM.match(line)
        nxt = lines[k + 1] if k + 1 < len(lines) else ""
        if m and " : " not in line:
            indent = len(m.group(1))
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) > indent:
                if prev.strip():
                    out.append("")  # def_list needs a blank line before each term
                out.append(line)
                lines[k + 1] = " " * indent + ":   " + nxt.strip()
                continue
        out.append(line)
    return out


def rst_to_markdown(text: str) -> str:
    """The docstring ``text`` with the reST constructs above rewritten as Markdown."""
    lines = _tables(text.split("\n"))  # first: the columns are aligned on the reST text
    lines = _math_blocks(lines)
    lines = _definition_lists(lines)
    text = "\n".join(lines)
    text = _MATH_ROLE.sub(lambda m: f"${m.group(1)}$", text)
    text = _ROLE.sub(_role, text)
    text = _DEFAULT_LITERAL.sub(r"\1\2", text)
    return _CITATION.sub(lambda m: f"{m.group(1)}[{m.group(2)}] ", text)


class RstToMarkdown(griffe.Extension):
    """Rewrite every docstring of the loaded objects with :func:`rst_to_markdown`."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value)
