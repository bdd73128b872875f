"""Step results pinned bit for bit: observation, reward, termination and the whole info dict of a few steps of
every registered environment, in both action encodings, against constants.

The constants in ``pinned_steps.json`` were computed by the code of commit fb5335d (before the step path was
made thin for issue 15, item 3) with ``_record`` below, and committed unchanged: a faster ``step`` must give
exactly what the old one gave. Floats are compared through ``repr`` (exact round trip), and the info dict
through the ``repr`` of the whole dict, so that a value's type (``int`` against ``numpy.int64``, ``float``
against ``numpy.float64``) and the order of the keys are pinned too. Regenerate only for an intended change
of behaviour: ``.venv/bin/python tests/core/test_pinned_steps.py --write``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import archgym

PINNED = Path(__file__).with_name("pinned_steps.json")
#: cheaper settings for the slow simulators (as the vector-env tests and the benchmark use)
KWARGS = {"archgym/DRAM-v0": {"workload": "random"}, "archgym/DRAM-v1": {"workload": "random_g1"},
          "archgym/Dataflow-v0": {"mapper_budget": 16}}
#: extra reward families, on the cheap environment
VARIANTS = {"archgym/Synthetic-v0": ({"reward": "hinge"}, {"reward": "weighted", "weights": {"cost": 1.0, "distance": 0.5}})}


def _action_json(a):
    if isinstance(a, dict):
        return {k: _action_json(v) for k, v in a.items()}
    arr = np.asarray(a)
    return [str(arr.dtype), list(arr.shape), arr.reshape(-1).tolist()]


def _action(j):
    if isinstance(j, dict):
        return {k: _action(v) for k, v in j.items()}
    dtype, shape, values = j
    arr = np.array(values, dtype=dtype).reshape(shape)
    return arr[()] if arr.ndim == 0 else arr


def _cases(env_id: str) -> list[tuple[str, dict]]:
    out = [("dict", {}), ("flat", {"flat_action": True})]
    out += [(f"dict {kw['reward']}", kw) for kw in VARIANTS.get(env_id, ())]
    return out


def _run(env_id: str, kwargs: dict, actions: list | None = None) -> list[dict]:
    env = gym.make(env_id, episode_length=2, **KWARGS.get(env_id, {}), **kwargs)
    base = env.unwrapped
    obs0, info0 = env.reset(seed=0)
    if actions is None:
        env.action_space.seed(3)
        actions = [base.encode_action(base.baseline_design)] + [env.action_space.sample() for _ in range(3)]
    rows = [{"reset": [repr(x) for x in obs0.tolist()], "reset_info": repr(info0)}]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        assert obs.dtype == np.float64 and type(reward) is float
        rows.append({"action": _action_json(a), "obs": [repr(x) for x in obs.tolist()], "reward": repr(reward),
                     "terminated": terminated, "truncated": truncated, "info": repr(info)})
        if terminated:
            env.reset()
    return rows


def _record() -> dict:
    return {env_id: {name: _run(env_id, kw) for name, kw in _cases(env_id)} for env_id in sorted(archgym.ENVIRONMENTS)}


PINS = json.loads(PINNED.read_text()) if PINNED.exists() else {}


@pytest.mark.parametrize("env_id", sorted(archgym.ENVIRONMENTS))
def test_steps_equal_the_pinned_values(env_id):
    assert env_id in PINS, f"no pinned steps for {env_id}: record them (see the module docstring)"
    for name, kw in _cases(env_id):
        want = PINS[env_id][name]
        got = _run(env_id, kw, [_action(r["action"]) for r in want[1:]])
        for i, (g, w) in enumerate(zip(got, want)):
            assert g == w, f"{env_id} ({name}), row {i}"
        assert len(got) == len(want)


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    np.seterr(all="ignore")
    data = _record()  # one row a line
    PINNED.write_text("{\n" + ",\n".join(
        f"{json.dumps(env_id)}: {{\n" + ",\n".join(
            f" {json.dumps(name)}: [\n" + ",\n".join(f"  {json.dumps(r)}" for r in rows) + "\n ]"
            for name, rows in cases.items()) + "\n}" for env_id, cases in data.items()) + "\n}\n")
