"""``archgym simulate distributed``: ASTRA-sim 2.x's analytical binaries in process, on ASTRA-sim's own files and flags."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import simulate_app
from archgym.cli.options import fail


@simulate_app.command(
    "distributed",
    help=(
        "Run a workload on a distributed training system as ASTRA-sim 2.x's analytical backends do "
        "(AstraSim_Analytical_Congestion_Unaware / _Aware), exact to the cycle on the reference runs. The flags "
        "are ASTRA-sim's: --workload-configuration is a Chakra trace prefix (PREFIX.<npu>.et for every NPU) or an "
        "ASTRA-sim 1.0 text workload; --system-configuration the system JSON; --network-configuration the analytical "
        "network YAML. Prints ASTRA-sim's 'sys[i] finished, T cycles, exposed communication E cycles.' line per NPU "
        "(1 cycle = 1 ns), or JSON with --json."
    ),
)
def simulate_distributed(
    workload: Path = typer.Option(..., "--workload-configuration", help="Chakra trace prefix PREFIX (PREFIX.<npu>.et) or a text workload"),
    system: Path = typer.Option(..., "--system-configuration", help="ASTRA-sim system JSON"),
    network: Path = typer.Option(..., "--network-configuration", help="ASTRA-sim analytical network YAML"),
    remote_memory: Path | None = typer.Option(None, "--remote-memory-configuration", help="ASTRA-sim remote-memory JSON"),
    queues: int = typer.Option(1, "--num-queues-per-dim", help="queues per network dimension"),
    backend: str = typer.Option("congestion_unaware", "--backend", help="congestion_unaware or congestion_aware"),
    num_passes: int = typer.Option(1, "--num-passes", help="training passes of a text workload (Chakra TextConverter's num_passes)"),
    as_json: bool = typer.Option(False, "--json", help="print the result as one JSON object"),
) -> None:
    from archgym.simulators.distributed import run_astrasim

    try:
        result = run_astrasim(workload, system, network, remote_memory, num_queues_per_dim=queues, backend=backend,
                              num_passes=num_passes)
    except (ValueError, FileNotFoundError, NotImplementedError, OSError) as e:
        fail(str(e))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    for line in result.lines():
        typer.echo(line)
