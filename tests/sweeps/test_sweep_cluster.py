"""A sweep on a multi-node Ray cluster simulated on this machine (ray.cluster_utils.Cluster): a head
node without CPUs, so every trial runs on one of two 1-CPU worker nodes, joined with ``address``."""

import json

import pytest

from archgym.sweeps.dataset import load_dataset
from archgym.sweeps.run import run_sweep
from archgym.sweeps.spec import parse_sweep_spec

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    from archgym.sweeps.run import prepare_ray_environment

    prepare_ray_environment()
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    workers = [c.add_node(num_cpus=1) for _ in range(2)]
    c.wait_for_nodes()
    yield c, [w.node_id for w in workers]
    ray.shutdown()
    c.shutdown()


def test_sweep_joins_a_cluster_and_uses_both_worker_nodes(cluster, tmp_path):
    c, worker_ids = cluster
    spec = parse_sweep_spec({
        "name": "cluster", "budget": 30000, "seeds": [0, 1, 2, 3], "report_every": 10000,
        "envs": ["archgym/Synthetic-v0"], "agents": [{"name": "random", "params": {"batch_size": 8}}],
    })
    res = run_sweep(spec, tmp_path / "s", address=c.address, progress=False)
    assert res.ok and len(res.completed) == 4
    assert not ray.is_initialized(), "the sweep disconnects from a cluster it joined"
    nodes = {json.loads(p.read_text())["node_id"] for p in (tmp_path / "s" / "runs").glob("*/run.json")}
    assert nodes <= set(worker_ids), "no trial on the CPU-less head node"
    assert len(nodes) == 2, "trials spread over both worker nodes"
    df = load_dataset(tmp_path / "s")
    assert len(df) == 120000 and (df.groupby("run_id")["step"].nunique() == 30000).all()
    card = json.loads((tmp_path / "s" / "dataset.json").read_text())
    assert card["sessions"][0]["ray_address"] == c.address and card["sessions"][0]["ray_cpus"] == 2
