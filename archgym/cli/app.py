"""The typer applications that the command modules attach their commands to."""

import typer

app = typer.Typer(
    name="archgym",
    help="archgym: ML-assisted computer-architecture design-space exploration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
simulate_app = typer.Typer(help="Simulate one design on one workload with a simulator directly.", no_args_is_help=True)
app.add_typer(simulate_app, name="simulate")


@app.callback()
def _global_options(
    quiet: bool = typer.Option(False, "--quiet", "-q",
                               help="no progress bars or notices (first-use compilation and the like); results only"),
) -> None:
    """Options that come before the command: ``archgym --quiet run ...``."""
    if quiet:
        import os

        from archgym.core.notices import QUIET_ENV

        os.environ[QUIET_ENV] = "1"
