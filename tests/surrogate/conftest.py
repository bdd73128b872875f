"""Shared fixtures: small datasets of the fast Synthetic-v0 environment (and a variant with infeasible
designs), generated once per test session with the runner's random search."""

from __future__ import annotations

import gymnasium as gym
import pytest

import archgym  # noqa: F401  (registers the ids)
from archgym.core.env import InfeasibleDesign
from archgym.envs.synthetic import SyntheticEnv
from archgym.runner import run

#: small, fast hyper-parameters per model, so that every test fits in seconds
FAST = {
    "rf": {"n_estimators": 40},
    "hgb": {"max_iter": 150},
    "xgb": {"n_estimators": 150, "max_depth": 6},
    "knn": {},
    "mlp": {"hidden_layer_sizes": [64, 64], "max_iter": 150},
    "gp": {},
}


class PartlyInfeasible(SyntheticEnv):
    """Synthetic-v0 whose designs with mode 'd' and x0 >= 8 cannot run (a learnable feasibility rule)."""

    env_id = "test/PartlyInfeasible-v0"

    def simulate(self, design: dict) -> dict:
        if design["mode"] == "d" and design["x0"] >= 8:
            raise InfeasibleDesign("mode d needs x0 < 8")
        return super().simulate(design)


@pytest.fixture(scope="session")
def synthetic_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic") / "run"
    run("archgym/Synthetic-v0", "random", 3000, 0, out=out, agent_params={"batch_size": 500}, progress=False, plot=False)
    return out


@pytest.fixture(scope="session")
def infeasible_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("infeasible") / "run"
    run(PartlyInfeasible(), "random", 2000, 1, out=out, agent_params={"batch_size": 500}, progress=False, plot=False)
    return out


@pytest.fixture()
def partly_infeasible_env():
    return PartlyInfeasible()


@pytest.fixture()
def synthetic_env():
    return gym.make("archgym/Synthetic-v0").unwrapped


@pytest.fixture(scope="session")
def fast():
    """model -> small hyper-parameters."""
    return FAST
