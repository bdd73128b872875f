"""Training, reproducibility, save/load with schema checks, and the environment backend (Synthetic-v0)."""

import json
import pickle
import warnings
import zipfile

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from archgym.core.env import InfeasibleDesign
from archgym.core.spaces import Categorical, DesignSpace, Integer, PowerOfTwo
from archgym.envs.synthetic import SyntheticEnv
from archgym.records import designs_of, load_records
from archgym.surrogates import Surrogate, SurrogateError, SurrogateMismatch, load, train
from archgym.surrogates.models import MODELS, ModelError, is_available

ALL = [pytest.param(m, marks=pytest.mark.skipif(not is_available(m), reason=f"{MODELS[m].requires} not installed"))
       for m in MODELS]


@pytest.mark.parametrize("model", ALL)
def test_every_model_trains_and_reports(model, synthetic_dataset, fast):
    res = train(synthetic_dataset, model, params=fast[model], seed=0, speed=False,
                max_train=400 if model == "gp" else None)
    rep = res.report
    assert set(rep["metrics"]) == {"cost", "distance"}
    for m, r in rep["metrics"].items():
        for key in ("rmse", "rmse_pct_mean", "rmse_pct_range", "mape_pct", "r2", "kendall_tau", "top10_overlap",
                    "top100_overlap"):
            assert np.isfinite(r[key]), (model, m, key)
        # a quadratic bowl is easy: any working regressor explains most of the variance (R2 > 0.7)
        assert r["r2"] > 0.7, (model, m, r["r2"])
    assert rep["reward"]["kendall_tau"] > 0.6, rep["reward"]
    assert rep["n_test_designs"] == len(res.test_index) and rep["model"] == model
    assert res.surrogate.metadata["dataset"]["dataset_hash"] == res.data.dataset_hash


def test_same_seed_same_surrogate_other_seed_other_split(synthetic_dataset, fast):
    a = train(synthetic_dataset, "hgb", params=fast["hgb"], seed=3, speed=False)
    b = train(synthetic_dataset, "hgb", params=fast["hgb"], seed=3, speed=False)
    c = train(synthetic_dataset, "hgb", params=fast["hgb"], seed=4, speed=False)
    assert a.report["metrics"] == b.report["metrics"]
    np.testing.assert_array_equal(a.test_index, b.test_index)
    assert not np.array_equal(a.test_index, c.test_index)
    designs = designs_of(a.test_frame)
    np.testing.assert_array_equal(a.surrogate.predict_arrays(designs)[0], b.surrogate.predict_arrays(designs)[0])


def test_log_transform_of_positive_metrics_only(synthetic_dataset, fast):
    df = load_records(synthetic_dataset)
    df.loc[df.index[:200], "metric.distance"] = 0.0  # a non-negative metric that reaches zero
    res = train(df, "hgb", params=fast["hgb"], speed=False)
    cost, dist = res.surrogate.transforms["cost"], res.surrogate.transforms["distance"]
    assert cost.log and cost.offset == 0  # cost >= 1 > 0: log(y)
    # zeros: log(y + c), c the smallest positive training value
    assert dist.log and dist.offset > 0 and dist.offset in set(df["metric.distance"])
    y = np.array([0.0, 1.0, 5.0, 20.0])
    np.testing.assert_allclose(dist.inverse(dist.forward(y)), y, atol=1e-12)
    pred = res.surrogate.predict_frame(res.test_frame)
    assert (pred["metric.distance"] >= 0).all()  # a non-negative metric is never predicted negative
    raw = train(df, "hgb", params=fast["hgb"], speed=False, target_transform="none").surrogate.transforms
    assert not raw["cost"].log and not raw["distance"].log
    with pytest.raises(SurrogateError, match="'log': metric 'distance' has values <= 0"):
        train(df, "hgb", params=fast["hgb"], speed=False, target_transform="log")
    with pytest.raises(SurrogateError, match="target_transform 'exp' is not known"):
        train(df, "hgb", params=fast["hgb"], speed=False, target_transform="exp")


def test_hyperparameter_search_records_best(synthetic_dataset):
    res = train(synthetic_dataset, "knn", seed=0, search=3, speed=False)
    searched = res.surrogate.metadata["training"]["searched_params"]["*"]
    assert set(searched["best_params"]) == {"n_neighbors", "weights", "p"}
    assert res.report["metrics"]["cost"]["r2"] > 0.5


def test_bad_model_and_params(synthetic_dataset):
    with pytest.raises(ModelError, match=r"model 'svm' is not known; allowed: \['gp', 'hgb', 'knn', 'mlp', 'rf', 'xgb', 'auto'\]"):
        train(synthetic_dataset, "svm", speed=False)
    with pytest.raises(ModelError, match="model 'rf': bad hyper-parameter.*'trees'.*allowed:.*n_estimators"):
        train(synthetic_dataset, "rf", params={"trees": 3}, speed=False)
    with pytest.raises(ModelError, match="model 'rf'.*n_estimators"):
        train(synthetic_dataset, "rf", params={"n_estimators": -1}, speed=False)


def test_speed_measured_against_simulator(synthetic_dataset, fast):
    res = train(synthetic_dataset, "knn", seed=0)
    s = res.report["speed"]
    for key in ("sim_single_s_per_design", "sim_batched_s_per_design", "surrogate_single_s_per_design",
                "surrogate_batched_s_per_design", "surrogate_batched_designs_per_s", "model_only_designs_per_s",
                "speedup_single", "speedup_batched", "dataset_sim_s_per_design"):
        assert s[key] > 0, key
    assert s["surrogate_batched_n"] == 20_000


@pytest.fixture(scope="module")
def saved(synthetic_dataset, tmp_path_factory):
    res = train(synthetic_dataset, "rf", params={"n_estimators": 30}, seed=0, speed=False)
    path = tmp_path_factory.mktemp("model") / "syn.surrogate"
    res.surrogate.save(path)
    return res, path


def test_save_load_roundtrip(saved):
    res, path = saved
    sur = load(path)
    designs = designs_of(res.test_frame)
    np.testing.assert_array_equal(sur.predict_arrays(designs)[0], res.surrogate.predict_arrays(designs)[0])
    with zipfile.ZipFile(path) as z:
        meta = json.loads(z.read("surrogate.json"))
    assert meta["env_id"] == "archgym/Synthetic-v0" and meta["env_version"] == "0"
    assert meta["simulator_version"] == "synthetic-1" and meta["workload"] == "bowl"
    assert meta["feature_names"] == DesignSpace.from_dict(meta["design_space"]).feature_names
    assert meta["metadata"]["dataset"]["dataset_hash"] == res.data.dataset_hash
    libs = meta["metadata"]["libraries"]
    assert {"python", "archgym", "numpy", "scikit-learn"} <= set(libs)
    assert meta["metadata"]["held_out"]["metrics"]["cost"]["rmse_pct_mean"] == pytest.approx(
        res.report["metrics"]["cost"]["rmse_pct_mean"])
    assert meta["metadata"]["split"] == {"seed": 0, "test_fraction": 0.2, "n_train": len(res.train_index),
                                         "n_test": len(res.test_index)}


class SyntheticV1(SyntheticEnv):
    version = "1"


def test_load_into_other_version_fails_clearly(saved):
    _, path = saved
    with pytest.raises(SurrogateMismatch, match=r"trained on archgym/Synthetic-v0 version 0 .*env_version '1'.*Retrain"):
        load(path, SyntheticV1())


def test_load_into_other_design_space_or_workload_fails_clearly(saved):
    _, path = saved
    env = SyntheticEnv()
    env.design_space = DesignSpace([Integer(f"x{i}", 0, 15) for i in range(7)]
                                   + [PowerOfTwo("p0", 1, 2048), PowerOfTwo("p1", 1, 1024),
                                      Categorical("mode", ("a", "b", "c", "d"))])
    with pytest.raises(SurrogateMismatch, match=r"design space differs.*parameter 'p0': trained on powers of two "
                                                r"1\.\.1024 .*environment has powers of two 1\.\.2048"):
        load(path, env)
    env2 = SyntheticEnv()
    env2.design_space = DesignSpace(list(env2.design_space.params)[:-1])
    with pytest.raises(SurrogateMismatch, match=r"parameter\(s\) \['mode'\] trained on are not in the environment"):
        load(path, env2)
    env3 = SyntheticEnv()
    env3.workload = "ring"
    with pytest.raises(SurrogateMismatch, match="workload 'ring' instead of 'bowl'"):
        load(path, env3)


def test_unreadable_files(tmp_path, saved):
    with pytest.raises(SurrogateError, match="does not exist"):
        load(tmp_path / "missing.surrogate")
    junk = tmp_path / "junk.surrogate"
    junk.write_bytes(b"not a zip")
    with pytest.raises(SurrogateError, match="not a readable archgym surrogate"):
        load(junk)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("x.txt", "x")
    with pytest.raises(SurrogateError, match="not an archgym surrogate"):
        load(other)
    _, path = saved
    newer = tmp_path / "newer.surrogate"
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(newer, "w") as w:
        meta = json.loads(z.read("surrogate.json"))
        meta["format_version"] = 99
        w.writestr("surrogate.json", json.dumps(meta))
        w.writestr("model.pkl", z.read("model.pkl"))
    with pytest.raises(SurrogateError, match="version 99; this archgym reads 'archgym-surrogate' version 1"):
        load(newer)


def test_save_is_atomic_on_failure(tmp_path, saved):
    res, _ = saved
    sur = res.surrogate
    target = tmp_path / "m.surrogate"
    broken = Surrogate(sur.space, sur.metrics, sur.identity, sur.model, sur.params, {"*": lambda: None},
                       sur.transforms)
    with pytest.raises((pickle.PicklingError, AttributeError), match="pickle|lambda"):
        broken.save(target)  # a lambda cannot be pickled
    assert list(tmp_path.iterdir()) == []


def test_backend_passes_check_env_and_marks_predictions(saved):
    res, path = saved
    env = gym.make("archgym/Synthetic-v0", backend="surrogate", model=str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no checker warning either
        check_env(env.unwrapped, skip_render_check=True)
    env.reset(seed=0)
    design = env.unwrapped.baseline_design
    obs, reward, term, trunc, info = env.unwrapped.step_design(design)
    assert info["predicted"] is True and info["backend"] == "surrogate"
    assert env.observation_space.contains(obs)
    sim = gym.make("archgym/Synthetic-v0").unwrapped
    _, _, _, _, sim_info = sim.step_design(design)
    assert sim_info["predicted"] is False
    # on 200 fresh random designs (the baseline is an edge of the space, where forests extrapolate badly)
    # the surrogate's median error is that of its held-out report (MAPE 7.8 % for this forest): within 10 %
    fresh = sim.design_space.sample_many(200, 9)
    pred = np.array([e.metrics["cost"] for e in env.unwrapped.evaluate_many(fresh)])
    true = np.array([e.metrics["cost"] for e in sim.evaluate_many(fresh)])
    assert np.median(np.abs(pred - true) / true) <= 0.10, np.median(np.abs(pred - true) / true)
    again = gym.make("archgym/Synthetic-v0", backend="surrogate", model=res.surrogate).unwrapped
    assert again.step_design(design)[4]["metrics"] == info["metrics"]  # a Surrogate instance works too


def test_backend_refuses_missing_or_wrong_model(saved):
    _, path = saved
    with pytest.raises(SurrogateError, match="backend='surrogate' needs model=PATH"):
        gym.make("archgym/Synthetic-v0", backend="surrogate")
    with pytest.raises(SurrogateMismatch, match="trained on archgym/Synthetic-v0.*env_id 'archgym/SystolicArray-v0'"):
        gym.make("archgym/SystolicArray-v0", backend="surrogate", model=str(path))


def test_feasibility_is_learned(infeasible_dataset, partly_infeasible_env, tmp_path):
    res = train(infeasible_dataset, "hgb", env=partly_infeasible_env, params={"max_iter": 100}, speed=False)
    feas = res.report["feasibility"]
    # the rule (mode d and x0 >= 8) is a two-feature split: a classifier gets it right (>= 99 %)
    assert feas["accuracy"] >= 0.99, feas
    out = res.surrogate.predict([{**partly_infeasible_env.baseline_design, "mode": "d", "x0": 12},
                                 {**partly_infeasible_env.baseline_design, "mode": "d", "x0": 2}])
    assert isinstance(out[0], InfeasibleDesign) and isinstance(out[1], dict)
    path = res.surrogate.save(tmp_path / "inf.surrogate")
    env = type(partly_infeasible_env)(backend="surrogate", model=path)
    _, reward, _, _, info = env.step_design({**env.baseline_design, "mode": "d", "x0": 12})
    assert not info["feasible"] and info["predicted"] and reward == env.reward_fn.infeasible_reward
