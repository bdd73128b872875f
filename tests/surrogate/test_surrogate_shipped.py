"""The shipped surrogate dataset is current: same environment version and simulator, same values."""

import gymnasium as gym
import numpy as np

from archgym import datasets
from archgym.records import designs_of, load_records

DATASET = datasets.path("surrogate", "systolic_resnet18_lhs3k.parquet")
REGENERATE = ("regenerate it: archgym collect archgym/SystolicArray-v0 -n 3000 --sampler lhs --seed 0 --out "
              "/tmp/sys_lhs3k && cp /tmp/sys_lhs3k/evaluations/part-00000.parquet " + str(DATASET))


def test_shipped_dataset_matches_current_simulator():
    df = load_records(DATASET)
    env = gym.make("archgym/SystolicArray-v0", workload="resnet18").unwrapped
    assert len(df) == 3000 and df["feasible"].all()
    assert set(df["env_version"]) == {env.version}, REGENERATE
    assert set(df["simulator_version"]) == {env.simulator_version}, REGENERATE
    sample = df.sample(200, random_state=0)
    sim = env.simulate_batch(designs_of(sample))
    for m in env.metrics:
        # deterministic simulator: the stored values are reproduced to float precision (rtol 1e-9)
        np.testing.assert_allclose(sample[f"metric.{m}"].to_numpy(), [r[m] for r in sim], rtol=1e-9,
                                   err_msg=f"metric {m} changed; {REGENERATE}")
