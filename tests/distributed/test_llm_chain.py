"""The O(n) chain recurrence equals ASTRA-sim's workload-layer scheduling of the same graph (schedule_workload)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from archgym.simulators.distributed.llm.chain import ASYNC, BLOCKING, COMPUTE, as_workload_nodes, chain_time
from archgym.simulators.distributed.workload import schedule_workload

item = st.one_of(st.tuples(st.just(COMPUTE), st.integers(0, 50).map(lambda us: us * 1000)),
                 st.tuples(st.sampled_from([BLOCKING, ASYNC]), st.integers(1, 80_000)))


@settings(max_examples=400, deadline=None)
@given(st.lists(item, min_size=1, max_size=40))
def test_chain_recurrence_equals_workload_scheduler_exact(items):
    ours = chain_time(items)
    ref = schedule_workload(as_workload_nodes(items), lambda collective, size: size)
    assert ours.finish_ns == ref.finish_ns
    assert ours.compute_ns == ref.compute_ns
    assert ours.finish_ns - ours.compute_ns == ref.exposed_comm_ns
