"""The memory controller and channel, cycle by cycle: DRAMSys's controller architecture in numba.

One call of :func:`run_channel` plays a request stream through a trace player, the arbiter,
the controller and the DRAM timing checker, and returns per-request times and the issued
command stream. The structure follows DRAMSys 5 (``Controller::controllerMethod``):

- front end: a trace player that sends the next request after the previous END_REQ (Simple
  arbiter) or as soon as the arbiter grants one of ``MaxActiveTransactions`` slots (Fifo and
  Reorder arbiters, which queue requests and responses and, for Reorder, return responses in order);
- admission: one request at a time waits in front of the scheduler until its buffer
  (Bankwise, ReadWrite or Shared; Bankwise checks the bank of the *last stored* request, as
  DRAMSys does) has room;
- one bank machine per bank choosing the next command for its current request under the page
  policy (Open, OpenAdaptive, Closed, ClosedAdaptive) from the scheduler (Fifo, FrFcfs, FrFcfsGrp);
- per-rank all-bank refresh managers with postponing and pulling in, and staggered power-down
  managers (active/precharge power-down, self refresh);
- a command multiplexer issuing at most one command per cycle: the ready command with the
  earliest legal time, ties to the oldest request (refreshes first);
- the response queue (Fifo, or Reorder by arrival) returning a read/write at the end of its
  data burst.

The event loop only visits cycles where something can happen, so its cost scales with the
number of requests, not with simulated time. What keeps a visit cheap (profiled with perf on the
JIT code): the bank scan is one branch-free pass over packed (earliest time, request id) keys; only
banks whose inputs changed are re-evaluated; timing constraints are pushed into a flat table with
branch-free updates when a command issues; with the Simple arbiter, cycles that can only send
responses (or find the buffer still full) are played by a small inner loop instead of a full visit;
helpers are inlined; the caller passes reused work arrays (fresh ones cost page faults every run).

The parts, one file each: :mod:`.layout` (the configuration and memspec vectors), :mod:`.frontend`
(player and arbiter), :mod:`.scheduler` (buffers, queues, the bank machines' choice), :mod:`.banks`
(bank state and scan caches), :mod:`.refresh`, :mod:`.powerdown`, :mod:`.multiplexer`, :mod:`.timing_table`
(the timing checker), :mod:`.responses`, :mod:`.scan` (the next event) and :mod:`.channel` (the loop).
The helpers are compiled inline into :func:`run_channel`, so the split costs no speed.
"""

from .channel import run_channel
from .layout import (
    ARBITER_CODES,
    BUFFER_CODES,
    INF,
    PAGE_CODES,
    PD_CODES,
    REFRESH_CODES,
    RESPQ_CODES,
    SCHED_CODES,
    buffer_capacity,
    build_config,
    build_spec_vector,
)
from .timing_table import drop_dominated

__all__ = ["ARBITER_CODES", "BUFFER_CODES", "INF", "PAGE_CODES", "PD_CODES", "REFRESH_CODES", "RESPQ_CODES",
           "SCHED_CODES", "build_config", "build_spec_vector", "buffer_capacity", "drop_dominated",
           "run_channel"]
