"""``archgym simulate systolic``: one SCALE-Sim design on one workload, from SCALE-Sim's own files."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import simulate_app
from archgym.cli.options import console as _console
from archgym.cli.options import fail

_TABLE_COLUMNS = (
    ("total_cycles", "total cycles"), ("stall_cycles", "stalls"), ("overall_util_pct", "util %"),
    ("mapping_eff_pct", "map eff %"), ("sram_ifmap_reads", "SRAM ifmap rd"), ("sram_filter_reads", "SRAM filter rd"),
    ("sram_ofmap_writes", "SRAM ofmap wr"), ("dram_ifmap_reads", "DRAM ifmap rd"),
    ("dram_filter_reads", "DRAM filter rd"), ("dram_ofmap_writes", "DRAM ofmap wr"), ("energy_uj", "energy uJ"),
)


@simulate_app.command(
    "systolic",
    help=(
        "Simulate a systolic-array design (SCALE-Sim 3.0 .cfg) on a workload (SCALE-Sim topology or GEMM CSV, "
        "told apart by the header) and print per-layer and total metrics.\n\n"
        "--memory replay (default) reproduces SCALE-Sim's DRAM counts, stalls and total cycles exactly; "
        "--memory analytic estimates them in microseconds (compute cycles, utilisation and SRAM counts are "
        "exact either way)."
    ),
)
def simulate_systolic(
    config: Path = typer.Option(..., "--config", "-c", help="SCALE-Sim 3.0 cfg file"),
    topology: Path | None = typer.Option(None, "--topology", "-t",
                                            help="topology/GEMM CSV (default: the cfg's TopologyCsvLoc)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON (layers list and total object)"),
    memory: str = typer.Option("replay", "--memory", help="replay (exact SCALE-Sim DRAM/stalls) or analytic"),
) -> None:
    from archgym.simulators.systolic import simulate
    from archgym.simulators.systolic.formats.scalesim import SystolicFileError, read_config, read_topology

    if memory not in ("replay", "analytic"):
        fail(f"--memory {memory!r} is not allowed; allowed: replay, analytic")
    try:
        parsed = read_config(config)
        if topology is None:
            if not parsed.topology:
                fail(f"{config}: no --topology given and the cfg has no [network_presets] TopologyCsvLoc")
            topology = Path(parsed.topology)
            if not topology.is_absolute():
                topology = config.parent / topology
        layers = read_topology(topology)
    except SystolicFileError as e:
        fail(str(e))
    try:
        result = simulate(parsed.config, layers, memory=memory)
    except ValueError as e:  # e.g. --memory analytic with a custom SRAM layout
        fail(f"{config}: {e}")
    result = {"run_name": parsed.run_name, "topology": str(topology), **result}
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    _print_table(result)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 1e6 else f"{v:,.0f}"
    return f"{v:,}"


def _print_table(result: dict) -> None:
    from rich.table import Table

    c = result["config"]
    title = (f"{result['run_name']}: {c['array_rows']}x{c['array_cols']} {c['dataflow']}, SRAM "
             f"{c['ifmap_sram_kb']}/{c['filter_sram_kb']}/{c['ofmap_sram_kb']} KiB, {c['bandwidth_mode']}"
             + (f" {c['bandwidth']} words/cycle" if c["bandwidth_mode"] == "USER" else "")
             + f" -- {result['model']}")
    table = Table(title=title)
    table.add_column("layer")
    for _, head in _TABLE_COLUMNS:
        table.add_column(head, justify="right")
    for row in result["layers"]:
        name = row["layer"] + (f" x{row['repeat']}" if row.get("repeat", 1) > 1 else "")
        table.add_row(name, *(_fmt(row[k]) for k, _ in _TABLE_COLUMNS))
    t = result["total"]
    table.add_row("[bold]total[/bold]", *(_fmt(t[k]) for k, _ in _TABLE_COLUMNS))
    console = _console()
    console.print(table)
    console.print(f"area {t['area_mm2']:.3f} mm^2, energy {t['energy_uj']:,.1f} uJ, power {t['power_mw']:,.1f} mW, "
                  f"latency {t['latency_ms']:.3f} ms at {c['frequency_mhz']:.0f} MHz, DRAM "
                  f"{t['dram_bandwidth_words_per_cycle']:.3f} words/cycle on average")
