"""``archgym simulate dataflow``: networks, Timeloop files, mappings in and out, clean errors."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archgym import datasets
from archgym.cli import build_app
from archgym.simulators.dataflow.timeloop.evaluation import read_stats

TL = datasets.path("dataflow", "timeloop")
runner = CliRunner()


def _run(*args):
    return runner.invoke(build_app(), ["simulate", "dataflow", *args])


def test_network_json():
    r = _run("--workload", "alexnet", "--budget", "200", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["architecture"] == "eyeriss_like" and len(out["layers"]) == 5
    assert set(out["metrics"]) == {"energy_uj", "area_mm2", "cycles", "edp", "utilization"}
    assert out["metrics"]["cycles"] == sum(ly["cycles"] * ly["repeat"] for ly in out["layers"])


def test_timeloop_files_and_mapping_round_trip(tmp_path):
    spec = ["--arch", str(TL / "eyeriss_like_arch.yaml"), "--bypass", str(TL / "eyeriss_like_bypass.yaml"),
            "--problem", str(TL / "alexnet_conv1_problem.yaml")]
    out_map = tmp_path / "map.yaml"
    r = _run(*spec, "--write-mapping", str(out_map), "--json")
    assert r.exit_code == 0, r.output
    first = json.loads(r.output)["metrics"]
    r = _run(*spec, "--mapping", str(out_map), "--model", "archgym", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["metrics"] == first and out["model"] == "archgym" and "not Timeloop+Accelergy's" in out["energy_source"]
    r = _run(*spec)
    assert r.exit_code == 0 and "WARNING: Timeloop files without a mapping" in r.output
    r = _run(*spec, "--show-mapping")
    assert r.exit_code == 0 and "(Spatial-" in r.output and "DRAM [W I O]" in r.output


def test_errors_exit_2_with_a_message(tmp_path):
    r = _run("--workload", "nope")
    assert r.exit_code == 2 and "neither a shipped network" in r.output
    r = _run("--mapping", str(tmp_path / "m.yaml"))
    assert r.exit_code == 2 and "--mapping needs --problem" in r.output
    bad = tmp_path / "arch.yaml"
    bad.write_text("architecture:\n  subtree:\n  - name: s\n    local:\n    - {name: D, class: DRAM, attributes: {x: 1}}\n")
    r = _run("--arch", str(bad))
    assert r.exit_code == 2 and "unknown key(s) ['x']" in r.output
    assert "Traceback" not in r.output


REF = Path(__file__).resolve().parents[1] / "reference" / "timeloop_exercises"
EX06 = REF / "ispass2020/timeloop/06-mapper-convlayer-eyeriss"
TA = REF / "ispass2020/timeloop+accelergy"
V03_KP = REF / "ispass2020-v03/04-model-conv1d+oc-3levelspatial"
M05 = REF / "ispass2020/timeloop/05-mapper-conv1d+oc-3level"
CLI_RUNS = [
    pytest.param(["--arch", EX06 / "arch/eyeriss_like.yaml", "--problem", EX06 / "prob/VGG02_layer5.yaml",
                  "--mapper-spec", EX06 / "mapper/mapper.yaml", "--mapping", EX06 / "ref-output/timeloop-mapper.map.yaml"],
                 EX06 / "ref-output/timeloop-mapper.stats.txt", id="06-eyeriss-v04"),
    pytest.param(["--arch", TA / "arch/arch.yaml", *[x for f in sorted((TA / "arch/components").glob("*.yaml"))
                                                     for x in ("--spec", f)],
                  "--template-var", "mac_class=intmac", "--template-var", "input_weight_datawidth=8",
                  "--template-var", "psum_datawidth=16", "--problem", TA / "prob/prob.yaml",
                  "--mapping", TA / "ref-output/intmac/timeloop-mapper.map.yaml"],
                 TA / "ref-output/intmac/timeloop-mapper.stats.txt", id="timeloop+accelergy-intmac-template"),
    pytest.param(["--arch", V03_KP / "arch/3levelspatial.arch.yaml", "--problem", V03_KP / "prob/conv1d+oc+ic.prob.yaml",
                  "--mapping", V03_KP / "map/conv1d+oc+ic-3levelspatial-kp-ws.map.yaml", "--timeloop-2020",
                  "--ert", V03_KP / "ref-output/kp/timeloop-model.ERT.yaml",
                  "--art", V03_KP / "ref-output/kp/timeloop-model.ART.yaml"],
                 V03_KP / "ref-output/kp/timeloop-model.stats.txt", id="v03-04-kp-2020"),
]


@pytest.mark.parametrize("args, stats_path", CLI_RUNS)
def test_timeloop_files_energy_within_5pct_cycles_and_counts_exact(args, stats_path):
    """Timeloop files through the CLI: Timeloop's own counting and the shipped ERT; against the ref-output
    Timeloop printed: energy within 5 % (total and per level), cycles and every count exact, area per
    instance within 1e-6 (the stats' single-precision print)."""
    r = _run(*map(str, args), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    ref = read_stats(stats_path)
    assert out["model"].startswith("timeloop") and out["energy_source"].startswith("ERT ")
    assert out["cycles"] == ref.cycles, "cycles (tolerance: exact)"
    assert out["energy_pj"] == pytest.approx(ref.energy_pj, rel=0.05), "energy vs ref-output (tolerance: 5 %)"
    for name, lv in out["levels"].items():
        assert lv["energy_pj"] == pytest.approx(ref.level_energy_pj[name], rel=0.05, abs=0.01 * ref.computes / 1000)
        theirs = ref.levels[name]
        if "area_um2" in theirs.values:
            assert lv["area_um2_per_instance"] == pytest.approx(theirs.values["area_um2"], rel=1e-6, abs=0.006)
        for ds, c in lv["tensors"].items():
            for f in ("reads", "fills", "updates", "utilized_capacity"):
                assert abs(c[f] - theirs.tensors[ds][f]) <= 0.5, f"{name}.{ds}.{f} (tolerance: exact)"


def test_timeloop_text_output_names_the_sources():
    args = [str(x) for x in CLI_RUNS[0].values[0]]
    r = _run(*args)
    assert r.exit_code == 0, r.output
    assert "energy source: ERT" in r.output and "timeloop-mapper.ERT.yaml" in r.output
    assert "Energy: 2764.38 uJ" in r.output and "Cycles: 5505024" in r.output  # the ref-output's summary lines


def test_timeloop_files_without_an_ert_say_whose_energy_it_is(tmp_path):
    src = REF / "ispass2020/timeloop/00-model-conv1d-1level"
    files = {}
    for sub, name in (("arch", "1level.arch.yaml"), ("map", "conv1d-1level.map.yaml"), ("prob", "conv1d.prob.yaml")):
        files[sub] = tmp_path / name
        files[sub].write_text((src / sub / name).read_text())
    args = ["--arch", str(files["arch"]), "--problem", str(files["prob"]), "--mapping", str(files["map"])]
    r = _run(*args)
    assert r.exit_code == 0, r.output
    assert "WARNING: no Accelergy ERT given: energy comes from archgym.simulators.dataflow.energy_table" in r.output
    assert "NOT Timeloop+Accelergy's" in r.output and "WARNING: no Accelergy ART given" in r.output
    out = json.loads(_run(*args, "--json").output)
    assert out["cycles"] == read_stats(src / "ref-output/timeloop-model.stats.txt").cycles
    assert out["energy_source"].startswith("archgym.simulators.dataflow.energy_table")


def test_mapper_search_is_refused_by_name():
    r = _run("--arch", str(EX06 / "arch/eyeriss_like.yaml"), "--problem", str(EX06 / "prob/VGG02_layer5.yaml"),
             "--mapper-spec", str(EX06 / "mapper/mapper.yaml"))
    assert r.exit_code == 2 and "mapper search is not implemented; give a mapping" in r.output


def test_a_mapping_that_breaks_its_constraints_is_refused(tmp_path):
    good = (M05 / "ref-output/freebypass/timeloop-mapper.map.yaml").read_text()
    assert "permutation: PKR" in good
    bad = tmp_path / "map.yaml"
    bad.write_text(good.replace("permutation: PKR", "permutation: KPR"))
    common = ["--arch", str(M05 / "arch/3level.arch.yaml"), "--problem", str(M05 / "prob/conv1d+oc.prob.yaml"),
              "--constraints", str(M05 / "constraints/conv1d+oc-3level-freebypass.constraints.yaml"),
              "--ert", str(M05 / "ref-output/freebypass/timeloop-mapper.ERT.yaml")]
    assert _run(*common, "--mapping", str(M05 / "ref-output/freebypass/timeloop-mapper.map.yaml")).exit_code == 0
    r = _run(*common, "--mapping", str(bad))
    assert r.exit_code == 2, r.output
    assert "freebypass.constraints.yaml, line 16: temporal constraint on 'GlobalBuffer' is violated" in r.output
    assert "Traceback" not in r.output


def test_timeloop_option_errors():
    r = _run("--model", "maestro")
    assert r.exit_code == 2 and "--model 'maestro' is not known" in r.output
    r = _run("--model", "timeloop", "--arch", str(EX06 / "arch/eyeriss_like.yaml"))
    assert r.exit_code == 2 and "needs --arch and --problem" in r.output


def test_constraints_that_pin_every_factor_are_the_mapping():
    r = _run("--arch", str(M05 / "arch/3level.arch.yaml"), "--problem", str(M05 / "prob/conv1d+oc.prob.yaml"),
             "--constraints", str(M05 / "constraints/conv1d+oc-3level-1mapping.constraints.yaml"),
             "--ert", str(M05 / "ref-output/baked/timeloop-mapper.ERT.yaml"), "--json")
    assert r.exit_code == 0, r.output
    out, ref = json.loads(r.output), read_stats(M05 / "ref-output/baked/timeloop-mapper.stats.txt")
    assert out["cycles"] == ref.cycles, "cycles (tolerance: exact)"
    assert out["energy_pj"] == pytest.approx(ref.energy_pj, rel=0.05), "energy (tolerance: 5 %)"


def test_accelergy_table_errors_name_the_file(tmp_path):
    args = [str(x) for x in CLI_RUNS[0].values[0]]
    r = _run(*args, "--ert", str(EX06 / "mapper/mapper.yaml"))
    assert r.exit_code == 2 and "mapper.yaml: not an Accelergy ERT" in r.output
    r = _run(*args, "--art", str(EX06 / "mapper/mapper.yaml"))
    assert r.exit_code == 2 and "mapper.yaml: not an Accelergy ART" in r.output
    for name in ("a.ERT.yaml", "b.ERT.yaml"):
        (tmp_path / name).write_text((EX06 / "ref-output/timeloop-mapper.ERT.yaml").read_text())
    (tmp_path / "map.yaml").write_text((EX06 / "ref-output/timeloop-mapper.map.yaml").read_text())
    r = _run(*args[:-1], str(tmp_path / "map.yaml"))
    assert r.exit_code == 2 and "more than one Accelergy ERT beside the input files" in r.output and "--ert" in r.output
