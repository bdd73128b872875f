"""griffe extension for the docs build: fences ``>>>`` example lines of docstrings as Python code.

The docstrings use bare doctest lines; rendered as Markdown, ``x["a"]["b"]`` in them would read as
a reference link. Fencing keeps them literal (and highlighted)."""

from __future__ import annotations

import griffe


def fence_doctests(text: str) -> str:
    """``text`` with every run of ``>>>``/``...`` lines (and their output lines) in a ``python`` fence."""
    out: list[str] = []
    in_block = False
    for line in text.splitlines():
        starts = line.lstrip().startswith((">>>", "... "))
        if starts and not in_block:
            out.append("```python")
            in_block = True
        elif in_block and not line.strip():
            out.append("```")
            in_block = False
        out.append(line)
    if in_block:
        out.append("```")
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Apply :func:`fence_doctests` to every docstring that has doctest lines and no fence yet."""

    def on_object(self, *, obj, **kwargs) -> None:
        doc = obj.docstring
        if doc is not None and ">>>" in doc.value and "```" not in doc.value:
            doc.value = fence_doctests(doc.value)
