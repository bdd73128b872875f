"""``archgym simulate dataflow``: one DNN workload on one loop-nest accelerator, with a mapping or the mapper."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import simulate_app
from archgym.cli.options import console as _console
from archgym.cli.options import fail


@simulate_app.command(
    "dataflow",
    help=(
        "Cost of a DNN workload on a loop-nest dataflow accelerator: cycles, energy, EDP, utilization, area, per "
        "layer and in total.\n\n"
        "The accelerator is archgym/Dataflow-v0's Eyeriss-like baseline unless --arch gives a Timeloop v0.3 or v0.4 "
        "architecture YAML (with --bypass, a file of Timeloop bypass directives saying which tensors each level "
        "keeps). The workload is a network (alexnet, resnet50, mobilenetv2 or a layer-table CSV) or --problem, a "
        "Timeloop CNN-layer problem YAML. Each layer is mapped by the mapper unless --mapping gives a Timeloop "
        "mapping YAML (then --problem is required); --show-mapping prints the mappings, --write-mapping saves "
        "the mapper's mapping of a single layer as Timeloop YAML."
    ),
)
def simulate_dataflow(
    arch: Path | None = typer.Option(None, "--arch", "-a", help="Timeloop v0.3 or v0.4 architecture YAML"),
    bypass: Path | None = typer.Option(None, "--bypass", help="YAML with bypass directives (keep/bypass)"),
    workload: str = typer.Option("alexnet", "--workload", "-w", help="alexnet, resnet50, mobilenetv2 or a CSV"),
    problem: Path | None = typer.Option(None, "--problem", "-p", help="Timeloop problem YAML (one layer)"),
    mapping: Path | None = typer.Option(None, "--mapping", "-m", help="Timeloop mapping YAML for --problem"),
    budget: int = typer.Option(1200, "--budget", help="mapper: candidate mappings per layer"),
    mapper_spec: Path | None = typer.Option(None, "--mapper-spec", help="Timeloop mapper YAML: its search size x "
                                            "threads sets --budget, its first metric --objective"),
    objective: str = typer.Option("edp", "--objective", help="mapper objective: edp, energy or delay"),
    search: str = typer.Option("hybrid", "--search", help="mapper search: hybrid or random-pruned"),
    seed: int = typer.Option(0, "--seed", help="mapper seed"),
    show_mapping: bool = typer.Option(False, "--show-mapping", help="print each layer's loop nest"),
    write_mapping: Path | None = typer.Option(None, "--write-mapping", help="save the mapping (one layer) as YAML"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    from archgym.envs.dataflow import resolve_workload
    from archgym.files.atomic import atomic_path
    from archgym.simulators.dataflow.architecture import ArchitectureError
    from archgym.simulators.dataflow.cost import CapacityError, evaluate
    from archgym.simulators.dataflow.eyeriss import eyeriss_like
    from archgym.simulators.dataflow.formats.timeloop import (
        SpecError,
        layer_bits,
        mapping_to_yaml,
        read_architecture,
        read_bypass,
        read_mapping,
        read_problem,
    )
    from archgym.simulators.dataflow.mapper import Mapper
    from archgym.simulators.dataflow.mapping import MappingError
    from archgym.simulators.dataflow.network import NetworkCost, load_layers
    from archgym.simulators.dataflow.timeloop.spec import read_mapper
    from archgym.simulators.dataflow.timeloop.tagged_yaml import SpecError as TimeloopSpecError
    from archgym.simulators.dataflow.timeloop.tagged_yaml import load as load_timeloop
    from archgym.simulators.dataflow.workload import WorkloadError

    if mapper_spec is not None:
        try:
            settings = read_mapper(load_timeloop(mapper_spec), str(mapper_spec))
        except TimeloopSpecError as e:
            fail(str(e))
        budget, objective = settings.budget, settings.objective
    if mapping is not None and problem is None:
        fail("--mapping needs --problem (a mapping is for one layer)")
    try:
        keeps = read_bypass(bypass) if bypass is not None else None
        accel = read_architecture(arch, keeps) if arch is not None else eyeriss_like()
        if problem is not None:
            layers, name = [read_problem(problem, layer_bits(accel) if arch is not None else 16)], problem.stem
        else:
            name, path = resolve_workload(workload)
            layers = load_layers(path)
        mapper = Mapper(accel, budget=budget, objective=objective, search=search, seed=seed)
        cost = NetworkCost(layers)
        for ly in layers:
            m = read_mapping(mapping, accel) if mapping is not None else mapper.search_layer(ly)[0]
            cost.evaluations.append(evaluate(accel, ly, m))
        if write_mapping is not None:
            if len(layers) != 1:
                fail("--write-mapping needs a single layer (--problem)")
            text = mapping_to_yaml(cost.evaluations[0].mapping, accel)
            with atomic_path(write_mapping) as tmp:
                tmp.write_text(text)
    except (SpecError, ArchitectureError, WorkloadError, MappingError, CapacityError, ValueError) as e:
        fail(str(e))
    if as_json:
        typer.echo(json.dumps({
            "workload": name, "architecture": accel.name, "metrics": cost.metrics(),
            "layers": [{"layer": ly.name, "repeat": ly.repeat, **ev.metrics(), "bottleneck": ev.bottleneck,
                        "energy_breakdown_pj": ev.energy_breakdown(), "mapping": ev.mapping.to_dict()}
                       for ly, ev in zip(layers, cost.evaluations)]}, indent=2))
        return
    _print(name, accel, layers, cost, show_mapping)


def _print(name, accel, layers, cost, show_mapping) -> None:
    from rich.table import Table

    console = _console()
    t = cost.metrics()
    console.print(f"[bold]{name}[/bold] on {accel.name} ({accel.compute.instances} MACs): {t['cycles']:,.0f} cycles, "
                  f"{t['energy_uj']:,.2f} uJ, EDP {t['edp']:.4g} uJ*cycles, utilization {t['utilization']:.1%}, "
                  f"area {t['area_mm2']:.3f} mm^2")
    table = Table()
    for col in ("layer", "x", "cycles", "bound by", "energy uJ", "utilization", "DRAM uJ"):
        table.add_column(col, justify="left" if col in ("layer", "bound by") else "right")
    top = accel.levels[-1].name
    for ly, ev in zip(layers, cost.evaluations):
        br = ev.energy_breakdown()
        table.add_row(ly.name, str(ly.repeat), f"{ev.cycles:,.0f}", ev.bottleneck, f"{ev.energy_pj * 1e-6:,.3f}",
                      f"{ev.utilization:.1%}", f"{sum(br[top].values()) * 1e-6:,.3f}")
    console.print(table)
    if show_mapping:
        for ly, ev in zip(layers, cost.evaluations):
            console.print(f"\n[bold]{ly.name}[/bold]")
            console.print(ev.mapping.text(accel), markup=False, highlight=False)
