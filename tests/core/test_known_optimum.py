"""Issue 17 item 1: environments know their optimum where it can be known. Synthetic-v0 has a closed
form; SystolicArray-v0's shipped optima come from enumerating all 1.57 M designs, and are checked here
against the simulator itself (re-evaluated, and never beaten by random designs)."""

import json
import math

import gymnasium as gym
import numpy as np
import pytest

import archgym  # noqa: F401  (registers the environments)
from archgym import datasets
from archgym.core.optima import OPTIMA_DIR, problem_key
from archgym.optimum import designs_in_order, find_optimum, pareto_mask


def _rewards(env, designs):
    return np.array([env.reward_of(ev) for ev in env.evaluate_many(designs)])


@pytest.mark.parametrize("reward, kwargs", [("target", {}), ("weighted", {"weights": {"cost": 1.0, "distance": 0.1}})])
def test_synthetic_closed_form_optimum_beats_every_random_design(reward, kwargs):
    env = gym.make("archgym/Synthetic-v0", instance=3, reward=reward, **kwargs).unwrapped
    opt = env.known_optimum()
    assert opt["metrics"]["cost"] == 1.0 and opt["metrics"]["distance"] == 0.0 and "closed form" in opt["source"]
    assert env.reward_of(env.evaluate(opt["design"])) == opt["reward"]
    others = _rewards(env, env.design_space.sample_many(2000, rng=0))
    assert others.max() <= opt["reward"], "no random design scores above the closed-form optimum"


SHIPPED = sorted(datasets.path(OPTIMA_DIR).glob("SystolicArray-v0-*.json"))


def test_optima_are_shipped_for_the_systolic_workloads():
    assert any("resnet18" in p.name for p in SHIPPED), "the default workload's optimum is shipped"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_a_shipped_systolic_optimum_is_reproduced_and_never_beaten(path):
    data = json.loads(path.read_text())
    env = gym.make("archgym/SystolicArray-v0", workload=data["problem"]["workload"]).unwrapped
    assert problem_key(env) == data["problem_key"], "gym.make's defaults pose the shipped problem"
    opt = env.known_optimum()
    assert opt is not None and opt["design"] == data["optimum"]["design"] and "enumeration of all 1,565,256" in opt["source"]
    ev = env.evaluate(opt["design"])
    assert env.reward_of(ev) == opt["reward"] and ev.metrics == pytest.approx(opt["metrics"], rel=0, abs=0)
    assert data["n_designs"] == math.prod(env.design_space.cardinalities)
    others = _rewards(env, env.design_space.sample_many(3000, rng=1))
    assert others.max() <= opt["reward"], "a random design scores above the enumerated optimum"
    # the front: every point is feasible and none dominates another
    objs = np.array([[env.reward_fn.objectives(p["metrics"])[k] for k in data["pareto_front"]["objectives"]]
                     for p in data["pareto_front"]["points"]])
    assert pareto_mask(objs).all() and len(objs) == len(data["pareto_front"]["points"])
    # (ArchGym's "target" reward is a distance to the targets, so its optimum need not be on the front)


def test_another_problem_has_no_known_optimum():
    env = gym.make("archgym/SystolicArray-v0", targets={"cycles": 1e6, "energy_uj": 1e4, "area_mm2": 1.0}).unwrapped
    assert env.known_optimum() is None, "an optimum is only known for the exact reward and targets it was found for"


def test_designs_in_order_enumerate_the_space_once():
    space = gym.make("archgym/SystolicArray-v0").unwrapped.design_space
    n = math.prod(space.cardinalities)
    first, last = designs_in_order(space, 0, 3), designs_in_order(space, n - 1, n)[0]
    assert first[0] == {p.name: p.values[0] for p in space} and last == {p.name: p.values[-1] for p in space}
    assert first[1]["DramBandwidth"] == space["DramBandwidth"].values[1], "the last parameter varies fastest"
    some = designs_in_order(space, 12_345, 12_400)
    assert len({tuple(d.values()) for d in some}) == len(some)


def test_pareto_mask():
    pts = np.array([[1, 1], [2, 0], [0, 2], [0.5, 0.5], [1, 1], [2, -1]])
    kept = pareto_mask(pts)
    assert {tuple(p) for p in pts[kept]} == {(1, 1), (2, 0), (0, 2)} and kept.sum() == 3, "dominated and repeated points dropped"


def test_a_space_too_large_to_enumerate_is_refused():
    with pytest.raises(ValueError, match=r"129,922,760,704 designs; allowed: at most max_designs=5,000,000"):
        find_optimum("archgym/Synthetic-v0", progress=False)


@pytest.mark.slow
def test_enumeration_reproduces_the_shipped_resnet18_optimum(tmp_path):
    path = next(p for p in SHIPPED if "resnet18" in p.name)
    data = json.loads(path.read_text())
    got = find_optimum("archgym/SystolicArray-v0", env_kwargs={"workload": "resnet18"}, progress=False).to_dict()
    for key in ("problem_key", "n_designs", "n_feasible", "n_optimal", "optimum", "pareto_front"):
        assert got[key] == data[key], key


BEST_KNOWN = sorted(p for p in datasets.path(OPTIMA_DIR).glob("*.json") if json.loads(p.read_text())["source"].startswith("best known"))


def test_best_known_designs_are_shipped_for_the_environments_that_cannot_be_enumerated():
    envs = {json.loads(p.read_text())["problem"]["env_id"] for p in BEST_KNOWN}
    assert {"archgym/SoC-v1", "archgym/DRAM-v1", "archgym/DistributedTraining-v0"} <= envs


@pytest.mark.parametrize("path", BEST_KNOWN, ids=[p.stem for p in BEST_KNOWN])
def test_a_best_known_design_is_reproduced_with_its_provenance(path):
    """gym.make's defaults pose the shipped problem, and the design re-simulates to the shipped reward."""
    data = json.loads(path.read_text())
    env = gym.make(data["problem"]["env_id"]).unwrapped  # the benchmark's plans use each environment's defaults
    assert problem_key(env) == data["problem_key"]
    opt = env.known_optimum()
    assert opt["source"] == data["source"] and "archgym benchmark" in opt["source"] and "seed" in opt["source"]
    ev = env.evaluate(opt["design"])
    assert env.reward_of(ev) == opt["reward"] and ev.feasible
    others = _rewards(env, env.design_space.sample_many(200, rng=2))
    assert others.max() <= opt["reward"], "200 random designs do not beat the best of the benchmark's 26,000"


def test_optimum_file_names_are_portable_words(tmp_path):
    from archgym.core.optima import optimum_file

    assert optimum_file({"env_id": "archgym/Mapping-v0", "workload": "resnet50:layer1.0.conv2"}, "k", tmp_path).name \
        == "Mapping-v0-resnet50_layer1.0.conv2-k.json"
    assert optimum_file({"env_id": "archgym/SystolicArray-v0", "workload": "/x/my net.csv"}, "k", tmp_path).name \
        == "SystolicArray-v0-my_net-k.json"
