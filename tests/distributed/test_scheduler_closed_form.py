"""The identical-chunk closed form of the chunk pipeline equals the discrete-event pipeline it replaces."""

from hypothesis import given, settings
from hypothesis import strategies as st

from archgym.simulators.distributed.scheduler import identical_chunks_finish_ns, identical_plan_finish_ns, pipeline_finish_ns


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=6), st.integers(1, 40), st.integers(1, 8))
def test_identical_chunks_closed_form_exact(phase_ns, count, active):
    durations = [list(phase_ns) for _ in range(count)]
    queues = [list(range(len(phase_ns))) for _ in range(count)]
    assert identical_chunks_finish_ns(phase_ns, count, active) == pipeline_finish_ns(durations, queues, active, 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 3)), min_size=1, max_size=7), st.integers(1, 30),
       st.integers(1, 8))
def test_compiled_identical_plan_equals_event_loop_exact(plan, count, active):
    """Plans that reuse a queue (localBWAware): the compiled loop equals the Python one."""
    phase_ns, queues = [d for d, _ in plan], [q for _, q in plan]
    want = pipeline_finish_ns([list(phase_ns)] * count, [list(queues)] * count, active, 1)
    assert identical_plan_finish_ns(phase_ns, queues, count, active, 1) == want
