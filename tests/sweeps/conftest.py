"""Shared fixtures of the sweep tests: one local Ray session (2 CPUs) per test module, and a module
of test agents importable by Ray workers (through PYTHONPATH, set before Ray starts)."""

import os
import sys
import textwrap

import pytest

TEST_AGENTS = textwrap.dedent('''
    """Agents that fail on purpose, for the fault-tolerance tests."""
    import os

    from archgym.agents.random_search import RandomSearch


    class FlakyRandom(RandomSearch):
        """Random search that raises once it has been told ``fail_after`` rewards, on its first
        attempt only (``marker`` is a file that remembers the failure across attempts)."""

        def __init__(self, space, seed=None, batch_size=8, fail_after=40, marker=""):
            super().__init__(space, seed, batch_size)
            self.fail_after, self.marker = fail_after, marker

        def tell(self, designs, rewards, infos=None):
            super().tell(designs, rewards, infos)
            if self.n_told >= self.fail_after and not os.path.exists(self.marker):
                open(self.marker, "w").close()
                raise RuntimeError("injected failure after %d evaluations" % self.n_told)


    class AlwaysFails(RandomSearch):
        def tell(self, designs, rewards, infos=None):
            raise RuntimeError("this agent always fails")
''')


@pytest.fixture(scope="module")
def agents_module(tmp_path_factory):
    d = tmp_path_factory.mktemp("agents")
    (d / "sweep_test_agents.py").write_text(TEST_AGENTS)
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(d)] + [p for p in (before or "").split(os.pathsep) if p])
    sys.path.insert(0, str(d))
    yield "sweep_test_agents"
    sys.path.remove(str(d))
    if before is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = before


@pytest.fixture(scope="module")
def ray_local(agents_module):
    """A local Ray instance with 2 CPUs shared by the tests of a module."""
    ray = pytest.importorskip("ray")
    from archgym.sweeps.run import prepare_ray_environment

    prepare_ray_environment()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    yield ray
    ray.shutdown()
