"""The sweep file: expansion into experiments, the shipped files, and errors that name file, line,
field, value and what is allowed."""

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from archgym.cli import build_app
from archgym.sweeps.spec import SweepSpecError, load_sweep_spec, parse_sweep_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sweeps"
ENV = "archgym/Synthetic-v0"


def _write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_smoke_file_is_two_agents_by_two_seeds_on_the_systolic_array():
    spec = load_sweep_spec(EXAMPLES / "smoke.yaml")
    exps = spec.experiments()
    assert len(exps) == 4 and {e.env_id for e in exps} == {"archgym/SystolicArray-v0"}
    assert sorted({e.label for e in exps}) == ["ga", "random"] and sorted({e.seed for e in exps}) == [0, 1]
    spec.check()


def test_archgym_grid_file_reproduces_archgyms_grids():
    data = yaml.safe_load((EXAMPLES / "archgym_grids.yaml").read_text())
    assert [e["id"] for e in data["envs"]] == ["archgym/SystolicArray-v0", "archgym/DRAM-v0"]
    data["envs"] = [e for e in data["envs"] if e["id"] == "archgym/SystolicArray-v0"]  # DRAM-v0: another area, tested there
    spec = parse_sweep_spec(data)
    spec.check()  # every setting builds its agent (e.g. a population of 2 needs elitism 0)
    exps = spec.experiments()
    per_env = len(exps) // len(data["envs"])
    by = {}
    for e in exps[:per_env]:
        by.setdefault(e.label, []).append(e)
    assert {k: len(v) for k, v in by.items()} == {"aco": 600, "ga": 72, "bo": 15, "random_walk": 2}
    assert all(e.budget == e.params["ant_count"] * e.params["depth"] for e in by["aco"])
    assert all(e.budget == e.params["population_size"] * e.params["generations"] for e in by["ga"])
    assert sorted({e.params["mutation_prob"] for e in by["ga"]}) == [0.001, 0.01, 0.05]
    assert sorted((e.budget, e.seed) for e in by["bo"])[:6] == [(16, 1), (16, 2), (16, 3), (16, 4), (16, 5), (32, 1)]
    assert sorted(e.budget for e in by["random_walk"]) == [10000, 20000]
    assert sum(e.budget for e in exps[:per_env]) == 94_500 + 45_360 + 560 + 30_000


def test_expansion_is_deterministic_and_ids_group_seeds():
    data = {"name": "x", "budget": 10, "seeds": 3, "sample_seed": 4, "envs": [ENV],
            "agents": [{"name": "random", "params": {"batch_size": {"randint": [1, 100]}}, "num_samples": 5}]}
    a, b = parse_sweep_spec(data).experiments(), parse_sweep_spec(data).experiments()
    assert [e.run_id for e in a] == [e.run_id for e in b]
    sizes = [e.params["batch_size"] for e in a]
    assert len(a) == 3 * len(set(sizes)) and 3 <= len(set(sizes)) <= 5, "5 draws, repeated draws kept once"
    assert all(1 <= s <= 100 for s in sizes) and len(set(sizes)) > 1
    by_setting = {}
    for e in a:
        by_setting.setdefault(e.setting_id, set()).add(e.seed)
    assert all(s == {0, 1, 2} for s in by_setting.values())
    other = parse_sweep_spec({**data, "sample_seed": 5}).experiments()
    assert [e.params for e in other] != [e.params for e in a]


@pytest.mark.parametrize("text, message", [
    ("name: a\nenvs: [archgym/Synthetic-v0]\nagents: [random]\nbugdet: 5\n",
     r"s.yaml:4: bugdet: unknown key 'bugdet' in <top level>; allowed: \['name'"),
    ("envs: [archgym/Synthetic-v0]\nagents:\n  - name: random\n  - name: simulated_annealing\n",
     r"s.yaml:4: agents\[1\].name: agent 'simulated_annealing' is not known; allowed: \[.*'random'.*\] or an import path"),
    ("envs: [archgym/Synthetic-v0]\nagents:\n  - name: random\n    params:\n      batchsize: [1, 2]\n",
     r"s.yaml:5: agents\[0\].params.batchsize: agent 'random' has no hyper-parameter\(s\) \['batchsize'\]; allowed: \['batch_size'\]"),
    ("envs: [archgym/Synthetic-v0]\nagents:\n  - name: random\n    budget: pop * 3\n",
     r"s.yaml:4: agents\[0\].budget: budget 'pop \* 3' uses 'pop', which is neither a param nor a var"),
    ("envs: [archgym/Synthetic-v0]\nagents:\n  - name: random\n    params: {batch_size: {normal: [1, 2]}}\n",
     r"s.yaml:4: agents\[0\].params.batch_size: \{'normal': \[1, 2\]\} is not a distribution; allowed: \{uniform"),
    ("envs: [archgym/Synthetic-v0]\nagents: [random]\nseeds: [0, 0]\n", r"s.yaml:3: seeds: seeds \[0, 0\] repeat a seed"),
    ("envs: [archgym/Synthetic-v0]\nagents: [random]\nbudget: 0\n", r"s.yaml:3: budget: budget 0 must be an integer >= 1"),
    ("envs:\n  - id: archgym/Nope-v0\nagents: [random]\n",
     r"s.yaml:2: envs\[0\].id: environment 'archgym/Nope-v0' is not registered; allowed: \["),
    ("envs: [archgym/Synthetic-v0]\nagents:\n  - name: random\n    params: {batch_size: []}\n",
     r"s.yaml:4: agents\[0\].params.batch_size: an empty list is an empty grid axis"),
    ("envs: [archgym/Synthetic-v0]\nagents: [random]\nagents: [random]\n", r"s.yaml:3: key 'agents' appears twice"),
    ("envs: [archgym/Synthetic-v0\nagents: [random]\n", r"s.yaml:2: not valid YAML"),
    ("agents: [random]\n", r"s.yaml:1: <top level>: missing required key 'envs'"),
    ("envs: [archgym/Synthetic-v0]\nagents: [random, random]\n", r"agent label\(s\) \['random'\] used twice"),
])
def test_errors_name_file_line_field_and_allowed(tmp_path, text, message):
    with pytest.raises(SweepSpecError, match=message):
        load_sweep_spec(_write(tmp_path, text))


def test_check_builds_envs_and_agents(tmp_path):
    bad_workload = load_sweep_spec(_write(tmp_path, "envs:\n  - id: archgym/Synthetic-v0\n    workloads: [cube]\nagents: [random]\n"))
    with pytest.raises(SweepSpecError, match=r"s.yaml:2: envs\[0\]: environment archgym/Synthetic-v0 .* cannot be built: "
                                             r"workload 'cube' is not known"):
        bad_workload.check()
    bad_value = load_sweep_spec(_write(tmp_path, "envs: [archgym/Synthetic-v0]\nagents:\n  - name: random\n"
                                                 "    params: {batch_size: [4, 0]}\n"))
    with pytest.raises(SweepSpecError, match=r"s.yaml:4: agents\[0\].params: agent 'random' with \{'batch_size': 0\} "
                                             r"cannot be built .*batch_size must be >= 1"):
        bad_value.check()


def test_cli_dry_run_and_bad_file(tmp_path):
    runner = CliRunner()
    r = runner.invoke(build_app(), ["sweep", str(EXAMPLES / "smoke.yaml"), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "4 experiments, 8,000 simulator evaluations" in r.output
    bad = runner.invoke(build_app(), ["sweep", str(_write(tmp_path, "envs: [archgym/Synthetic-v0]\nagents: [nope]\n"))])
    assert bad.exit_code == 2 and "agents[0].name: agent 'nope' is not known" in bad.output
    missing = runner.invoke(build_app(), ["sweep", str(tmp_path / "absent.yaml")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
