"""``archgym simulate soc``: one SoC design (FARSI-style task-graph model) on one AR/VR workload."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import simulate_app
from archgym.cli.options import console as _console
from archgym.cli.options import fail


@simulate_app.command(
    "soc",
    help=(
        "Simulate an SoC design on a task-graph workload and print latency, energy, power, area and a per-block "
        "report.\n\n"
        "The design is FARSI's initial one (every task on one A53 with one DRAM behind one bus) unless --design "
        "gives a design file ({\"blocks\": {instance: block type}, \"links\": [[a, b], ...], \"task_pe\": {task: "
        "instance}, \"task_memory\": {task: instance}}, \"*\" for all other tasks) or --limited gives a design of "
        "archgym/SoC-v0's space (a JSON object of its fields, missing ones taken from the initial design, or "
        "ArchGym's flat vector)."
    ),
)
def simulate_soc(
    workload: str = typer.Option("audio_decoder", "--workload", "-w",
                                 help="audio_decoder, edge_detection, hpvm_cava, or a node-link task-graph JSON"),
    design: Path | None = typer.Option(None, "--design", "-d", help="design file (blocks, links, mapping)"),
    limited: Path | None = typer.Option(None, "--limited", "-l", help="design in SoC-v0's limited encoding (JSON)"),
    leakage: bool = typer.Option(False, "--leakage", help="add memory leakage (FARSI leaves it out)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    from archgym.envs.soc import load_model
    from archgym.simulators.soc.design_spec import DesignSpecError, load_design
    from archgym.simulators.soc.hardware import SocInfeasible
    from archgym.simulators.soc.limited_encoding import EncodingError
    from archgym.simulators.soc.model import SocOptions
    from archgym.simulators.soc.taskgraph import TaskGraphError

    if design is not None and limited is not None:
        fail("give either --design or --limited, not both")
    try:
        name, model, enc = load_model(workload, SocOptions(include_leakage=leakage))
    except (TaskGraphError, ValueError) as e:
        fail(str(e))
    try:
        if design is not None:
            hw, mp = load_design(design, model.library, model.workload)
            result = model.simulate(hw, mp)
        else:
            d = enc.baseline if limited is None else _limited(limited, enc)
            result = enc.simulate(d)
    except (DesignSpecError, EncodingError) as e:
        fail(str(e))
    except SocInfeasible as e:
        fail(f"infeasible design: {e}")
    if as_json:
        typer.echo(json.dumps({"workload": name, "metrics": result.metrics(), "bottleneck_block": result.bottleneck_block,
                               "blocks": result.blocks, "task_start_s": result.task_start_s,
                               "task_finish_s": result.task_finish_s}, indent=2))
        return
    _print(name, result)


def _limited(path: Path, enc) -> dict:
    from archgym.simulators.soc.limited_encoding import EncodingError

    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except json.JSONDecodeError as e:
        fail(f"{path}: line {e.lineno}: not valid JSON ({e.msg})")
    if isinstance(data, list):
        return enc.design(data)
    if not isinstance(data, dict):
        raise EncodingError(f"{path}: expected a JSON object of fields or a flat vector")
    unknown = [k for k in data if k not in {f.name for f in enc.fields}]
    if unknown:
        raise EncodingError(f"{path}: unknown field(s) {unknown}; allowed: {[f.name for f in enc.fields]}")
    return {**enc.baseline, **data}


def _print(name: str, r) -> None:
    from rich.table import Table

    console = _console()
    console.print(f"[bold]{name}[/bold]: latency {r.latency_s * 1e3:,.4f} ms, energy {r.energy_J * 1e3:,.4f} mJ, "
                  f"power {r.power_W * 1e3:,.3f} mW (FARSI peak window; average {r.avg_power_W * 1e3:,.3f} mW), "
                  f"area {r.area_m2 * 1e6:,.4f} mm^2 (DRAM {r.area_dram_m2 * 1e6:,.4f}); bottleneck {r.bottleneck_block}")
    table = Table()
    for col in ("block", "type", "energy mJ", "area mm^2", "utilization", "MB read", "MB written", "memory MB",
                "bottleneck s"):
        table.add_column(col, justify="left" if col in ("block", "type") else "right")
    for inst, b in r.blocks.items():
        if not b["in_design"]:
            continue
        table.add_row(inst, b["block"], f"{(b['dynamic_energy_J'] + b['leakage_energy_J']) * 1e3:.4f}",
                      f"{b['area_m2'] * 1e6:.4f}", f"{b['utilization']:.3f}", f"{b['bytes_read'] / 1e6:.3f}",
                      f"{b['bytes_written'] / 1e6:.3f}", f"{b['memory_bytes'] / 1e6:.3f}" if b["kind"] == "mem" else "",
                      f"{b['bottleneck_s']:.4g}")
    console.print(table)
