"""Invariants of the controller model over random traces and random controller configurations.

- the issued command stream respects every JEDEC rule the independent checker knows, except the one
  DRAMSys itself breaks (tRC after an early auto-precharge: its checker has no tRAS lock-out), which is
  asserted to be the only one;
- every request completes exactly once, after it arrives, with one column command of its direction;
- refresh postponement never loses a refresh: at every refresh and at the end, each rank owes at most
  ``RefreshMaxPostponed`` refreshes (plus the one just coming due);
- the same inputs give the same outputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archgym.envs.dram import design_space, resolve_memory
from archgym.simulators.dram import tracegen
from archgym.simulators.dram.simulation import PreparedChannel
from archgym.simulators.dram.timing import CAS, RD, RDA, REF, WR, WRA
from archgym.simulators.dram.validation.checker import check_commands, first_refresh_triggers, refresh_deficit

DDR4 = resolve_memory("ddr4_2400")
DDR3 = resolve_memory("ddr3_1600")
SPACE = design_space()
ALLOWED_JEDEC_DEVIATION = "tRC-after-auto-precharge"


def _run(memory, pattern, n, gap, seed, design, write_fraction=0.0):
    spec, mapping = memory
    kw = {"write_fraction": write_fraction} if pattern != "mixed" else {}
    trace = tracegen.generate(pattern, n, gap, spec, mapping, seed=seed, **kw)
    channel = PreparedChannel(spec, trace, mapping)
    return channel, channel.run(design, keep_commands=True, keep_requests=True)


def _assert_stream_ok(channel, result):
    c = result.commands
    bad = check_commands(channel.spec, c["cycle"], c["command"], c["bank"], c["rank"], c["request"], channel.row,
                         channel.is_write)
    rules = {v.rule for v in bad}
    assert rules <= {ALLOWED_JEDEC_DEVIATION}, [v for v in bad if v.rule != ALLOWED_JEDEC_DEVIATION][:5]
    if ALLOWED_JEDEC_DEVIATION in rules:
        # only after auto-precharging column commands
        assert np.any(np.isin(c["command"], (RDA, WRA)))


def _assert_each_request_once(channel, result):
    c, q = result.commands, result.requests
    n = channel.n
    cas = np.isin(c["command"], CAS)
    served = c["request"][cas]
    assert np.array_equal(np.sort(served), np.arange(n)), "every request gets exactly one column command"
    cas_cmd = np.empty(n, dtype=np.int64)
    cas_cmd[served] = c["command"][cas]
    cas_t = np.empty(n, dtype=np.int64)
    cas_t[served] = c["cycle"][cas]
    is_wr = np.isin(cas_cmd, (WR, WRA))
    assert np.array_equal(is_wr, channel.is_write), "reads get RD/RDA, writes WR/WRA"
    assert np.all(q["begin_req"] >= q["arrival"]) and np.all(q["accept"] >= q["begin_req"])
    assert np.all(cas_t >= q["accept"]) and np.all(q["begin_resp"] > cas_t)
    assert np.all(q["delivered"] >= q["begin_resp"])
    assert result.metrics["total_cycles"] == q["delivered"].max()
    assert result.metrics["num_rd_cmds"] + result.metrics["num_rda_cmds"] == int((~channel.is_write).sum())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    design=st.builds(lambda i: SPACE.sample(np.random.default_rng(i)), st.integers(0, 10**6)),
    pattern=st.sampled_from(tracegen.PATTERNS),
    gap=st.sampled_from([1, 2, 5, 8, 20, 64]),
    n=st.integers(50, 600),
    seed=st.integers(0, 1000),
    write_fraction=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_random_controllers_keep_jedec_rules_and_serve_each_request_once(design, pattern, gap, n, seed,
                                                                         write_fraction):
    channel, result = _run(DDR4, pattern, n, gap, seed, design, write_fraction)
    _assert_stream_ok(channel, result)
    _assert_each_request_once(channel, result)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(design=st.builds(lambda i: SPACE.sample(np.random.default_rng(i)), st.integers(0, 10**6)),
       pattern=st.sampled_from(tracegen.PATTERNS), seed=st.integers(0, 100))
def test_ddr3_streams_keep_jedec_rules(design, pattern, seed):
    channel, result = _run(DDR3, pattern, 300, 4, seed, design, 0.25)
    _assert_stream_ok(channel, result)
    _assert_each_request_once(channel, result)


@pytest.mark.parametrize("postponed", [0, 1, 2, 4, 8])
@pytest.mark.parametrize("pattern,gap", [("random", 1), ("stream", 2), ("conflict", 6)])
def test_refresh_postponement_never_loses_a_refresh(postponed, pattern, gap):
    """Busy ranks postpone refreshes; at any refresh and at the end each rank owes at most
    ``postponed`` (+1: the refresh just coming due) and all of them are eventually issued."""
    design = {"RefreshPolicy": "AllBank", "RefreshMaxPostponed": postponed, "RefreshMaxPulledin": postponed,
              "RequestBufferSize": 8}
    channel, result = _run(DDR4, pattern, 6000, gap, 7, design)
    c = result.commands
    spec = channel.spec
    first = first_refresh_triggers(spec)
    for i in np.flatnonzero(c["command"] == REF):
        owed = refresh_deficit(spec, c["cycle"][:i + 1], c["command"][:i + 1], c["rank"][:i + 1],
                               int(c["cycle"][i]), first)
        assert max(owed.values()) <= postponed + 1, (int(c["cycle"][i]), owed)
    end = int(result.metrics["total_cycles"])
    owed = refresh_deficit(spec, c["cycle"], c["command"], c["rank"], end, first)
    assert max(owed.values()) <= postponed + 1, owed
    # no refresh is lost: with the trace extended by idle time, the deficit is paid back
    idle_tail = np.concatenate([channel.ts, [channel.ts[-1] + 12 * spec.refresh_interval]])
    trace = np.empty(channel.n + 1, dtype=[("cycle", np.int64), ("write", bool), ("address", np.uint64)])
    trace["cycle"] = idle_tail
    trace["write"] = np.concatenate([channel.is_write, [False]])
    trace["address"] = np.concatenate([channel.addr.astype(np.uint64), [np.uint64(0)]])
    longer = PreparedChannel(spec, trace, DDR4[1]).run(design, keep_commands=True)
    lc = longer.commands
    owed = refresh_deficit(spec, lc["cycle"], lc["command"], lc["rank"], int(longer.metrics["total_cycles"]), first)
    assert max(owed.values()) <= 1, owed


def test_more_postponement_does_not_drop_refreshes_over_the_trace():
    """Total refreshes over a long busy trace stay within maxPostponed of the no-postponement count."""
    counts = {}
    for k in (0, 1, 2, 4, 8):
        _, r = _run(DDR4, "random", 8000, 1, 3, {"RefreshMaxPostponed": k})
        counts[k] = r.metrics["num_ref"]
    for k, v in counts.items():
        assert counts[0] - 2 * k <= v <= counts[0] + 2, counts


def test_same_inputs_same_outputs():
    design = SPACE.sample(np.random.default_rng(5))
    a = _run(DDR4, "mixed", 800, 3, 11, design)[1]
    b = _run(DDR4, "mixed", 800, 3, 11, design)[1]
    assert a.metrics == b.metrics
    assert all(np.array_equal(a.commands[k], b.commands[k]) for k in ("cycle", "command", "bank", "request"))


def test_no_refresh_issues_no_refresh_and_closed_page_closes_rows():
    _, r = _run(DDR4, "random", 500, 8, 1, {"RefreshPolicy": "NoRefresh", "PagePolicy": "Closed"})
    m = r.metrics
    assert m["num_ref"] == 0 and m["num_rd_cmds"] == 0 and m["num_pre"] == 0 and m["num_rda_cmds"] == 500
    assert np.all(r.commands["command"][np.isin(r.commands["command"], CAS)] == RDA)
    assert not np.any(r.commands["command"] == RD)
