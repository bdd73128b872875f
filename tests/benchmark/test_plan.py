"""Benchmark plans: the named plans load (every agent builds on every environment), bad plans name the
field, the value and what is allowed."""

import pytest

from archgym.benchmark.plan import PLANS, BenchmarkPlanError, load_plan


@pytest.mark.parametrize("name", sorted(PLANS))
def test_every_named_plan_loads_and_builds_its_agents(name):
    plan = load_plan(name)
    assert plan.entries and all(e.budgets == sorted(e.budgets) for e in plan.entries)
    for e in plan.entries:
        exps = e.sweep.experiments()
        assert {x.budget for x in exps} == {max(e.budgets)}, "one run per seed at the largest budget"
        assert "random" in {x.agent for x in exps}


def test_narrowing_keeps_random_search():
    plan = load_plan("smoke", seeds=1, agents=["ga"], envs=["archgym/Synthetic-v0"])
    assert [e.label for e in plan.entries] == ["Synthetic-v0"]
    assert sorted({x.agent for x in plan.entries[0].sweep.experiments()}) == ["ga", "random"]
    assert {x.seed for x in plan.entries[0].sweep.experiments()} == {0}


def _plan(**over):
    return {"name": "t", "seeds": 1, "budgets": [5], "agents": ["random"], "envs": [{"id": "archgym/Synthetic-v0"}], **over}


@pytest.mark.parametrize("over, match", [
    ({"budget": 5}, "unknown key 'budget'.*gives 'budgets'"),
    ({"budgets": [0]}, r"budgets \[0\] must be a non-empty list of integers >= 1"),
    ({"agents": ["ga"]}, "must include 'random'"),
    ({"envs": []}, "envs must be a non-empty list"),
    ({"envs": [{"id": "archgym/Synthetic-v0", "budget": 3}]}, "unknown key 'budget'; allowed"),
    ({"envs": [{"id": "archgym/Nope-v0"}]}, "Nope-v0"),
    ({"name": "a b"}, "must be a word"),
])
def test_bad_plans_are_refused_with_the_field(over, match):
    with pytest.raises(BenchmarkPlanError, match=match):
        load_plan(_plan(**over))


def test_a_plan_file_error_names_file_and_line(tmp_path):
    f = tmp_path / "plan.yaml"
    f.write_text("name: t\nseeds: 1\nbudgets: [5, -1]\nagents: [random]\nenvs: [{id: archgym/Synthetic-v0}]\n")
    with pytest.raises(BenchmarkPlanError, match=r"plan.yaml:3: budgets"):
        load_plan(f)


def test_an_unknown_plan_name_lists_the_named_plans():
    with pytest.raises(BenchmarkPlanError, match="leaderboard"):
        load_plan("no-such-plan")


def test_the_plan_in_the_docs_is_a_valid_plan(tmp_path):
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "benchmark.md").read_text()
    [block] = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    (tmp_path / "plan.yaml").write_text(block)
    plan = load_plan(tmp_path / "plan.yaml")
    assert [e.label for e in plan.entries] == ["SystolicArray-v0", "dram-power"]
    assert plan.entries[0].budgets == [50, 200, 1000] and plan.entries[1].budgets == [50, 200]
