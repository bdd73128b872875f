"""``archgym simulate dram``: one memory-controller configuration on one trace, from DRAMSys's own files."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import simulate_app
from archgym.cli.options import console, fail

_TABLE = (
    ("total_cycles", "total cycles"), ("total_time_ns", "total time ns"), ("avg_read_latency_cycles", "avg rd lat"),
    ("p50_read_latency_cycles", "p50"), ("p95_read_latency_cycles", "p95"), ("p99_read_latency_cycles", "p99"),
    ("bandwidth_GBps", "GB/s"), ("row_hit_rate", "row hit"), ("num_act", "ACT"), ("num_pre", "PRE"),
    ("num_prea", "PREA"), ("num_rd_cmds", "RD"), ("num_wr_cmds", "WR"), ("num_rda_cmds", "RDA"),
    ("num_wra_cmds", "WRA"), ("num_ref", "REF"), ("num_pdn_cmds", "PDN"), ("energy_pJ", "energy pJ"),
    ("avg_power_mW", "power mW"),
)


@simulate_app.command(
    "dram",
    help=(
        "Simulate one DRAM channel and its controller (DRAMSys 5 behaviour; DDR3/DDR4 energy DRAMPower's, LPDDR4/HBM2 "
        "energy from the memspec's IDD currents, NaN where it gives none) on a DRAMSys .stl trace. --memspec, "
        "--mcconfig and --addressmapping take DRAMSys's JSON files; the mcconfig may hold any "
        "subset of the knobs (the rest take DRAMSys's defaults); without --addressmapping the memspec's default "
        "mapping (row | rank | bank | bank group | column) is used.\n\n"
        "Or give DRAMSys's own simulation file with --config (e.g. its configs/ddr4-example.json): memspec, "
        "mcconfig, address mapping and trace player (clkMhz, dataLength), paths relative to that file, as "
        "DRAMSys resolves them."
    ),
)
def simulate_dram(
    memspec: Path | None = typer.Option(None, "--memspec", help="DRAMSys memspec JSON (DDR3, DDR4, LPDDR4 or HBM2, any DRAMSys version)"),
    trace: Path | None = typer.Option(None, "--trace", help="DRAMSys .stl trace (cycle:<tab>read|write<tab>hex address)"),
    config: Path | None = typer.Option(None, "--config", help="DRAMSys simulation JSON (instead of the four files)"),
    mcconfig: Path | None = typer.Option(None, "--mcconfig", help="DRAMSys mcconfig JSON [default: DRAMSys's]"),
    addressmapping: Path | None = typer.Option(None, "--addressmapping", help="DRAMSys address-mapping JSON"),
    as_json: bool = typer.Option(False, "--json", help="print the metrics as one JSON object"),
) -> None:
    from archgym.simulators.dram.addressmap import AddressMappingError
    from archgym.simulators.dram.mcconfig import McConfigError
    from archgym.simulators.dram.memspec import MemSpecError
    from archgym.simulators.dram.simfile import SimulationFileError, load_simulation
    from archgym.simulators.dram.simulation import METRICS, simulate, simulate_file
    from archgym.simulators.dram.traces import TraceError

    if config is not None:
        given = [o for o, v in (("--memspec", memspec), ("--trace", trace), ("--mcconfig", mcconfig),
                                ("--addressmapping", addressmapping)) if v is not None]
        if given:
            fail(f"--config names every file itself; drop {', '.join(given)} (or give them without --config)")
    elif memspec is None or trace is None:
        fail("give --memspec and --trace (and optionally --mcconfig, --addressmapping), or --config SIMULATION.json")
    try:
        if config is not None:
            sim = load_simulation(config)
            memspec, trace = Path(sim.memspec.get("memoryId", "memspec")), sim.trace
            result = simulate_file(config)
        else:
            result = simulate(memspec, mcconfig, trace, addressmapping)
    except (MemSpecError, McConfigError, AddressMappingError, TraceError, SimulationFileError) as e:
        fail(str(e))
    except ValueError as e:  # e.g. an address beyond the device
        fail(f"{trace}: {e}")
    m = result.metrics
    out = {k: m[k] for k in METRICS}
    out["energy_by_component_pJ"] = {k.removeprefix("energy_").removesuffix("_pJ"): float(v)
                                     for k, v in result.energy_breakdown.items()}
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"{trace.name} on {Path(memspec).name}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, head in _TABLE:
        v = out[key]
        table.add_row(head, f"{v:,.4f}" if isinstance(v, float) and abs(v) < 100 else f"{v:,.0f}")
    drampower = "pre" in out["energy_by_component_pJ"]  # DDR3/DDR4: DRAMPower's parts (LPDDR4/HBM2 count ACT+PRE as one)
    parts = Table(title="energy by component (DRAMPower)" if drampower else "energy by component (IDD currents)")
    parts.add_column("component")
    parts.add_column("pJ", justify="right")
    parts.add_column("share", justify="right")
    total = out["energy_pJ"] or 1.0
    for k, v in out["energy_by_component_pJ"].items():
        parts.add_row(k, f"{v:,.0f}", f"{v / total:.1%}")
    c = console()
    c.print(table)
    c.print(parts)
