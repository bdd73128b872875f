"""``archgym`` command line: run | simulate | sweep | benchmark | collect | repair | optimum | analyze | surrogate.

Each command lives in its own module, which attaches itself to the apps of ``archgym.cli.app``;
a new command is one module plus one line in ``COMMAND_MODULES``.
"""

import importlib
import warnings

from archgym.cli.app import app

COMMAND_MODULES = [
    "archgym.cli.run",
    "archgym.cli.sweep",
    "archgym.cli.benchmark",
    "archgym.cli.collect",
    "archgym.cli.repair",
    "archgym.cli.optimum",
    "archgym.cli.analyze",
    "archgym.cli.simulate_systolic",
    "archgym.cli.simulate_dram",
    "archgym.cli.simulate_soc",
    "archgym.cli.simulate_dataflow",
    "archgym.cli.simulate_distributed",
    "archgym.cli.surrogate",
]


def build_app():
    """The ``archgym`` typer app with every command module attached."""
    for name in COMMAND_MODULES:
        importlib.import_module(name)
    return app


def _one_line(message, category, filename, lineno, line=None) -> str:
    """Warnings as the CLI prints them: ``warning: <message>``, without the source line that raised them."""
    return f"warning: {message}\n"


def main() -> None:
    warnings.formatwarning = _one_line
    build_app()()
