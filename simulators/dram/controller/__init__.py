"""The memory controller and channel, cycle by cycle: DRAMSys 5's controller architecture in numba.

:func:`run_channel` plays a request stream through a trace player, the arbiter, the controller and the
DRAM timing checker, and returns per-request times and the issued command stream. One module per part of
DRAMSys's controller (``Controller::controllerMethod``):

- :mod:`.config` -- the mcconfig and memspec as the integer vectors the loop reads;
- :mod:`.frontend` -- the trace player and the Simple / Fifo / Reorder arbiters (up to
  ``MaxActiveTransactions`` requests in flight; Reorder returns responses in request order);
- :mod:`.scheduling` -- admission into the scheduler buffer (Bankwise, ReadWrite, Shared), the schedulers
  (Fifo, FrFcfs, FrFcfsGrp) and the page policies (Open, OpenAdaptive, Closed, ClosedAdaptive);
- :mod:`.banks` -- the bank machines' state and how commands change it;
- :mod:`.refresh` -- per-rank all-bank refresh managers with postponing and pulling in;
- :mod:`.powerdown` -- staggered power-down managers (active/precharge power-down, self refresh);
- :mod:`.multiplexer` -- the command multiplexer: at most one command per cycle, the ready command with the
  earliest legal time, ties to the oldest request (refreshes first), and the next cycle one can issue;
- :mod:`.timing_table` -- the earliest legal time of every command per bank, bank group and rank;
- :mod:`.responses` -- the response queue (Fifo, or Reorder by arrival), a read/write returning at the end
  of its data burst;
- :mod:`.statistics` -- what a run records (per-request times, the command log) and its reduction to metrics;
- :mod:`.channel` -- the event loop composing them.

The helpers are numba functions inlined into the loop; numba's cache does not see edits to them, which is
why :data:`.channel.INLINED_SOURCES_SHA256` pins their sources (checked by a test).
"""

from .channel import run_channel
from .config import (
                     ARBITER_CODES,
                     BUFFER_CODES,
                     PAGE_CODES,
                     PD_CODES,
                     REFRESH_CODES,
                     RESPQ_CODES,
                     SCHED_CODES,
                     buffer_capacity,
                     build_config,
                     build_spec_vector,
)

__all__ = ["ARBITER_CODES", "BUFFER_CODES", "PAGE_CODES", "PD_CODES", "REFRESH_CODES", "RESPQ_CODES", "SCHED_CODES",
           "build_config", "build_spec_vector", "buffer_capacity", "run_channel"]
