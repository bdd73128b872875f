"""Helpers shared by the command modules: option parsing and clean failure."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import typer


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``code`` (no traceback)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def parse_key_values(items: list[str], option: str) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; a malformed item fails naming the option."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"{option} {item!r}: expected key=value")
        out[key.strip()] = value.strip()
    return out


def parse_json_values(items: list[str], option: str) -> dict[str, Any]:
    """``key=value`` items of ``option`` (``--env-arg``, ``--param``); each value is read as JSON when it
    parses, else kept as text."""
    out: dict[str, Any] = {}
    for key, value in parse_key_values(items, option).items():
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


#: width of tables written to a pipe or file, where no terminal says how wide a line may be
PIPE_WIDTH = 200


def console():
    """A rich console for output meant to be read: the terminal's width on a terminal; written to a
    pipe or file (where rich would cut tables at 80 columns), wide tables and unwrapped lines,
    unless ``COLUMNS`` says otherwise."""
    import os

    from rich.console import Console

    c = Console()
    if c.is_terminal or os.environ.get("COLUMNS"):
        return c
    return Console(width=PIPE_WIDTH, soft_wrap=True)
