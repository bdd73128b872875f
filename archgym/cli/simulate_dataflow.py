"""``archgym simulate dataflow``: Timeloop files through Timeloop's own counting, or a DNN workload through archgym's model and mapper."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from archgym.cli.app import simulate_app
from archgym.cli.options import console as _console
from archgym.cli.options import fail

HELP = (
    "Cost of a DNN workload on a loop-nest dataflow accelerator: cycles, energy, EDP, utilization, area.\n\n"
    "Timeloop files (--arch, --problem, --mapping; v0.3 or v0.4, as the Timeloop/Accelergy exercises ship them; "
    "--spec adds components, variables, constraints or mapper files) are evaluated with Timeloop's own counting "
    "(archgym.simulators.dataflow.timeloop): per level and data space reads, fills, updates, cycles, utilisation, "
    "energy from Accelergy's ERT (--ert, else a *ERT.yaml beside the input files) and area from its ART (--art, "
    "else a *ART.yaml beside them). Without an ERT/ART, energy and area come from archgym's own table "
    "(archgym.simulators.dataflow.energy_table), and the output says so. A mapping is checked against the "
    "constraints given. Timeloop's mapper search is not implemented: give a mapping.\n\n"
    "Otherwise (--model archgym, or no --mapping) the ZigZag-validated model of archgym/Dataflow-v0 maps each "
    "layer with archgym's mapper: the accelerator is the Eyeriss-like baseline unless --arch gives a Timeloop "
    "architecture (with --bypass, a file of keep/bypass directives); the workload is a network (alexnet, resnet50, "
    "mobilenetv2 or a layer-table CSV) or --problem; --show-mapping prints the mappings, --write-mapping saves a "
    "single layer's mapping as Timeloop YAML.\n\n"
    "ZigZag's own inputs (--zigzag-hardware, --zigzag-mapping, --zigzag-workload: its hardware and mapping YAML, "
    "an ONNX model or its workload YAML) give ZigZag's element counts and energy per layer "
    "(archgym.simulators.dataflow.formats.zigzag.simulate_files) for mappings ZigZag's search chose "
    "(--zigzag-mappings) or a mapping entry with a complete temporal_ordering; ZigZag's searches are not modelled."
)
MODELS = ("auto", "timeloop", "archgym")


@simulate_app.command("dataflow", help=HELP)
def simulate_dataflow(
    arch: Path | None = typer.Option(None, "--arch", "-a", help="Timeloop v0.3 or v0.4 architecture YAML"),
    bypass: Path | None = typer.Option(None, "--bypass", help="archgym model: YAML with bypass directives"),
    workload: str = typer.Option("alexnet", "--workload", "-w", help="alexnet, resnet50, mobilenetv2 or a CSV"),
    problem: Path | None = typer.Option(None, "--problem", "-p", help="Timeloop problem YAML (one layer)"),
    mapping: Path | None = typer.Option(None, "--mapping", "-m", help="Timeloop mapping YAML for --problem"),
    spec_files: list[Path] = typer.Option([], "--spec", help="more Timeloop files merged in (components, "
                                          "variables, constraints, mapper); repeatable"),
    constraints: Path | None = typer.Option(None, "--constraints", help="Timeloop mapspace constraints YAML: "
                                            "the mapping is checked against it"),
    ert: Path | None = typer.Option(None, "--ert", help="Accelergy ERT (energy per action) for Timeloop files"),
    art: Path | None = typer.Option(None, "--art", help="Accelergy ART (area per component) for Timeloop files"),
    template_vars: list[str] = typer.Option([], "--template-var", help="KEY=VALUE for Jinja2-templated Timeloop "
                                            "files (value read as YAML); repeatable"),
    timeloop_2020: bool = typer.Option(False, "--timeloop-2020", help="count as the Timeloop of 2020 (no "
                                       "first-fill elision of read-write data), for its v0.3 ref-output"),
    model: str = typer.Option("auto", "--model", help="auto (Timeloop's counting when a mapping is given), "
                              "timeloop, or archgym (ZigZag-validated model and mapper)"),
    budget: int = typer.Option(1200, "--budget", help="archgym mapper: candidate mappings per layer"),
    mapper_spec: Path | None = typer.Option(None, "--mapper-spec", help="Timeloop mapper YAML; with --model "
                                            "archgym its search size x threads sets --budget, its metric --objective"),
    objective: str = typer.Option("edp", "--objective", help="archgym mapper objective: edp, energy or delay"),
    search: str = typer.Option("hybrid", "--search", help="archgym mapper search: hybrid or random-pruned"),
    seed: int = typer.Option(0, "--seed", help="archgym mapper seed"),
    show_mapping: bool = typer.Option(False, "--show-mapping", help="print each layer's loop nest"),
    write_mapping: Path | None = typer.Option(None, "--write-mapping", help="save the mapping (one layer) as YAML"),
    zigzag_hardware: Path | None = typer.Option(None, "--zigzag-hardware", help="ZigZag hardware YAML (with "
                                                 "--zigzag-mapping and --zigzag-workload)"),
    zigzag_mapping: Path | None = typer.Option(None, "--zigzag-mapping", help="ZigZag mapping YAML"),
    zigzag_workload: Path | None = typer.Option(None, "--zigzag-workload", help="ONNX model or ZigZag workload YAML"),
    zigzag_mappings: Path | None = typer.Option(None, "--zigzag-mappings", help="YAML/JSON {layer: {spatial: ..., "
                                                 "temporal: ...}}: the mappings ZigZag's search chose, as it prints them"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    zigzag = {"--zigzag-hardware": zigzag_hardware, "--zigzag-mapping": zigzag_mapping,
              "--zigzag-workload": zigzag_workload}
    if any(v is not None for v in zigzag.values()) or zigzag_mappings is not None:
        missing = [k for k, v in zigzag.items() if v is None]
        if missing:
            fail(f"ZigZag's inputs need all three of --zigzag-hardware, --zigzag-mapping, --zigzag-workload; "
                 f"missing: {', '.join(missing)}")
        others = [o for o, v in (("--arch", arch), ("--problem", problem), ("--mapping", mapping)) if v is not None]
        if others:
            fail(f"{', '.join(others)}: Timeloop inputs; give either ZigZag's three files or Timeloop's")
        _simulate_zigzag(zigzag_hardware, zigzag_mapping, zigzag_workload, zigzag_mappings, as_json)
        return
    if model not in MODELS:
        fail(f"--model {model!r} is not known; allowed: {', '.join(MODELS)}")
    if mapping is not None and problem is None:
        fail("--mapping needs --problem (a mapping is for one layer)")
    timeloop_inputs = [f for f in (constraints, ert, art, mapper_spec) if f is not None] + list(spec_files)
    if model == "timeloop" or (model == "auto" and (mapping is not None or timeloop_inputs)):
        if arch is None or problem is None:
            fail("Timeloop's model needs --arch and --problem (and a mapping: --mapping)")
        for opt, val in (("--bypass", bypass), ("--write-mapping", write_mapping)):
            if val is not None:
                fail(f"{opt} is for --model archgym; a Timeloop mapping carries its own bypass directives")
        files = [arch, *spec_files, problem, *(f for f in (constraints, mapper_spec, mapping) if f is not None)]
        _simulate_timeloop(files, ert, art, template_vars, timeloop_2020, as_json)
        return
    _simulate_archgym(arch, bypass, workload, problem, mapping, budget, mapper_spec, objective, search, seed,
                      show_mapping, write_mapping, as_json)


def _beside(files: list, kind: str, given: Path | None) -> Path | None:
    """The Accelergy table to use: ``given``, else the one ``*<kind>.yaml`` beside the input files."""
    if given is not None:
        return given
    found = sorted({p for f in files for p in Path(f).parent.glob(f"*{kind}.yaml")})
    if len(found) > 1:
        fail(f"more than one Accelergy {kind} beside the input files ({', '.join(map(str, found))}); "
             f"choose one with --{kind.lower()}")
    return found[0] if found else None


def _simulate_timeloop(files, ert_path, art_path, template_vars, timeloop_2020, as_json) -> None:
    """Timeloop's counts, cycles, utilisation, energy and area for one fixed mapping."""
    import yaml

    from archgym.cli.options import parse_key_values
    from archgym.simulators.dataflow.timeloop.area import area, read_art
    from archgym.simulators.dataflow.timeloop.constraints import unchecked
    from archgym.simulators.dataflow.timeloop.evaluation import evaluate, load_spec, read_ert
    from archgym.simulators.dataflow.timeloop.table_energy import table_art, table_ert
    from archgym.simulators.dataflow.timeloop.tagged_yaml import SpecError

    jinja = {k: yaml.safe_load(v) for k, v in parse_key_values(template_vars, "--template-var").items()} or None
    ert_path, art_path = _beside(files, "ERT", ert_path), _beside(files, "ART", art_path)
    try:
        spec = load_spec(files, jinja_variables=jinja)
        if spec.mapping is None:
            fail(f"mapper search is not implemented; give a mapping (--mapping), or constraints that pin every "
                 f"factor ({spec.source})")
        hier = spec.hierarchy
        ert = read_ert(ert_path) if ert_path else table_ert(hier)
        res = evaluate(spec, ert, first_fill_elision=not timeloop_2020)
        ar = area(hier, read_art(art_path), str(art_path)) if art_path else area(hier, table_art(hier), "table")
    except SpecError as e:
        fail(str(e))
    table_name = "archgym.simulators.dataflow.energy_table (archgym's 65 nm table, NOT Timeloop+Accelergy's)"
    out = {
        "model": "timeloop" + ("-2020" if timeloop_2020 else ""),
        "files": [str(f) for f in files],
        "energy_source": f"ERT {ert_path}" if ert_path else table_name,
        "area_source": f"ART {art_path}" if art_path else table_name,
        "cycles": res.cycles, "utilization": res.utilization, "computes": res.computes,
        "energy_pj": res.energy_pj["total"], "energy_uj": res.energy_pj["total"] * 1e-6,
        "edp_j_cycles": res.energy_pj["total"] * 1e-12 * res.cycles,
        "area_um2": ar.total_um2, "area_mm2": ar.total_um2 * 1e-6,
        "unchecked_constraint_keys": unchecked(spec.constraints),
        "levels": {},
    }
    for name in [hier.compute.name, *(lv.name for lv in reversed(hier.levels) if lv.name in res.counts)]:
        a = ar.components[name]
        out["levels"][name] = {"cycles": res.level_cycles.get(name), "energy_pj": res.energy_pj[name],
                               "instances": a.instances, "area_um2_per_instance": a.per_instance_um2,
                               "area_um2": a.total_um2, "tensors": res.counts.get(name, {})}
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    _print_timeloop(out, bool(ert_path), bool(art_path))


def _print_timeloop(out: dict, have_ert: bool, have_art: bool) -> None:
    from rich.table import Table

    console = _console()
    console.print(f"Timeloop model ({out['model']}): {', '.join(out['files'])}", markup=False, highlight=False)
    for what, have, src in (("energy", have_ert, out["energy_source"]), ("area", have_art, out["area_source"])):
        if have:
            console.print(f"{what} source: {src}", markup=False, highlight=False)
        else:
            console.print(f"[bold red]WARNING: no Accelergy {'ERT' if what == 'energy' else 'ART'} given: {what} "
                          f"comes from {src}[/bold red]")
    table = Table()
    for col in ("level", "data space", "reads", "fills", "updates", "utilized capacity", "instances", "cycles",
                "energy pJ", "area um^2"):
        table.add_column(col, justify="left" if col in ("level", "data space") else "right")
    for name, lv in out["levels"].items():
        table.add_row(name, "", "", "", "", "", str(lv["instances"]), f"{lv['cycles']:,}",
                      f"{lv['energy_pj']:,.2f}", f"{lv['area_um2']:,.2f}")
        for ds, c in lv["tensors"].items():
            table.add_row("", ds, *(_n(c[k]) for k in ("reads", "fills", "updates", "utilized_capacity", "instances")),
                          "", "", "")
    console.print(table)
    console.print("Summary Stats")
    console.print(f"Utilization: {out['utilization']:.2%}\nCycles: {out['cycles']}\nEnergy: {out['energy_uj']:.2f} uJ\n"
                  f"EDP(J*cycle): {out['edp_j_cycles']:.2e}\nArea: {out['area_mm2']:.2f} mm^2\n"
                  f"Computes = {out['computes']}", highlight=False)
    console.print("fJ/Compute", highlight=False)
    for name, lv in out["levels"].items():
        console.print(f"    {name:<45} = {lv['energy_pj'] * 1000 / out['computes']:.2f}", highlight=False)
    console.print(f"    {'Total':<45} = {out['energy_pj'] * 1000 / out['computes']:.2f}", highlight=False)
    for key in out["unchecked_constraint_keys"]:
        console.print(f"note: constraint key not checked (it steers Timeloop's mapper): {key}", markup=False,
                      highlight=False)


def _simulate_zigzag(hardware: Path, mapping: Path, workload: Path, given: Path | None, as_json: bool) -> None:
    """ZigZag's element counts and energy per layer (``formats.zigzag.simulate_files``)."""
    import warnings

    import yaml
    from rich.table import Table

    from archgym.simulators.dataflow.formats.zigzag import ZigzagInputError, simulate_files
    from archgym.simulators.dataflow.mapping import MappingError

    mappings = None
    if given is not None:
        try:
            mappings = yaml.safe_load(given.read_text())  # JSON is YAML too
        except (OSError, yaml.YAMLError) as e:
            fail(f"--zigzag-mappings {given}: cannot read it ({e})")
        if not isinstance(mappings, dict):
            fail(f"--zigzag-mappings {given}: expected a mapping of layer name to {{spatial: ..., temporal: ...}}, "
                 f"got {type(mappings).__name__}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            results = simulate_files(hardware, mapping, workload, mappings=mappings)
        except (ZigzagInputError, MappingError, OSError) as e:
            fail(str(e))
    out = {"model": "zigzag", "hardware": str(hardware), "mapping": str(mapping), "workload": str(workload),
           "layers": [r.to_dict() for r in results],
           "energy_zigzag_convention_uj": sum(r.energy_zigzag_convention_pj for r in results) * 1e-6,
           "energy_uj": sum(r.energy_pj for r in results) * 1e-6,
           "temporal_cycles": sum(r.temporal_cycles for r in results),
           "warnings": [str(w.message) for w in caught]}
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    console = _console()
    for w in out["warnings"]:
        console.print(f"warning: {w}", markup=False, highlight=False)
    console.print(f"ZigZag inputs: {hardware}, {mapping}, {workload}", markup=False, highlight=False)
    table = Table()
    for col in ("layer", "ideal temporal cycles", "utilization", "energy uJ (ZigZag's conventions)",
                "energy uJ (archgym's charging)"):
        table.add_column(col, justify="left" if col == "layer" else "right")
    for r in results:
        table.add_row(r.layer.name, f"{r.temporal_cycles:,.0f}", f"{r.utilization:.2%}",
                      f"{r.energy_zigzag_convention_pj * 1e-6:,.3f}", f"{r.energy_pj * 1e-6:,.3f}")
    table.add_row("total", f"{out['temporal_cycles']:,.0f}", "", f"{out['energy_zigzag_convention_uj']:,.3f}",
                  f"{out['energy_uj']:,.3f}")
    console.print(table)
    console.print("ZigZag's stall and on/off-loading latency are not modelled: cycles are its ideal temporal "
                  "cycles. Per-memory counts: --json.", highlight=False)


def _n(x) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _simulate_archgym(arch, bypass, workload, problem, mapping, budget, mapper_spec, objective, search, seed,
                      show_mapping, write_mapping, as_json) -> None:
    """archgym's ZigZag-validated model and mapper (archgym/Dataflow-v0's), its own energy table."""
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
            "model": "archgym", "energy_source": ARCHGYM_SOURCE,
            "workload": name, "architecture": accel.name, "metrics": cost.metrics(),
            "layers": [{"layer": ly.name, "repeat": ly.repeat, **ev.metrics(), "bottleneck": ev.bottleneck,
                        "energy_breakdown_pj": ev.energy_breakdown(), "mapping": ev.mapping.to_dict()}
                       for ly, ev in zip(layers, cost.evaluations)]}, indent=2))
        return
    _print(name, accel, layers, cost, show_mapping, arch is not None)


ARCHGYM_SOURCE = ("archgym's ZigZag-validated model (access_counts, cost) and energy table "
                  "(archgym.simulators.dataflow.energy_table), not Timeloop+Accelergy's")


def _print(name, accel, layers, cost, show_mapping, timeloop_arch) -> None:
    from rich.table import Table

    console = _console()
    note = f"model and energy: {ARCHGYM_SOURCE}"
    if timeloop_arch:
        console.print(f"[bold red]WARNING: Timeloop files without a mapping: {note}; give --mapping for Timeloop's "
                      f"own counting[/bold red]")
    else:
        console.print(note, markup=False, highlight=False)
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
