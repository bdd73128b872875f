"""The integer vectors the compiled loop reads: controller configuration, memspec, bank table columns.

The loop takes plain int64 vectors instead of dicts or objects so that numba compiles it once for every
configuration; :func:`build_config` and :func:`build_spec_vector` encode a resolved mcconfig and a memspec.
"""

from __future__ import annotations

import numpy as np

from ..timing import NCMD, command_lengths, mux_kind, strobe_offsets

INF = np.int64(2 ** 62)  # "never" as a cycle
BIG_PID = np.int64(2 ** 62)  # larger than any request id (ties between candidates go to the smaller)

# configuration vector layout (filled by build_config)
C_PAGE, C_SCHED, C_BUFTYPE, C_BUFSIZE, C_BUFREAD, C_BUFWRITE, C_RESPQ, C_REFRESH, C_POSTPONE, C_PULLIN, C_PD, \
    C_ARBITER, C_MAXACTIVE, C_THINKFW, C_THINKBW, C_PHYFW, C_PHYBW, C_ARBFW, C_ARBBW, C_NCFG = range(20)
# memspec vector layout (M_RL / M_WL: cycles from a read / write command to the start of its last burst
# cycle's end minus the burst; M_LEN: NCMD command lengths)
M_RANKS, M_BPR, M_GPR, M_BPG, M_RL, M_WL, M_BURST, M_REFI, M_FAW, M_MUX, M_STACKS, M_LEN = range(12)
M_NSPEC = M_LEN + NCMD

PAGE_CODES = {"Open": 0, "OpenAdaptive": 1, "Closed": 2, "ClosedAdaptive": 3}
SCHED_CODES = {"Fifo": 0, "FrFcfs": 1, "FrFcfsGrp": 2}
BUFFER_CODES = {"Bankwise": 0, "ReadWrite": 1, "Shared": 2}
RESPQ_CODES = {"Fifo": 0, "Reorder": 1}
REFRESH_CODES = {"NoRefresh": 0, "AllBank": 1}
PD_CODES = {"NoPowerDown": 0, "Staggered": 1}
ARBITER_CODES = {"Simple": 0, "Fifo": 1, "Reorder": 2}

# bank machine table columns: B_STATE (0 precharged / 1 activated), B_OPEN (open row), B_CUR (current
# request), B_KEEP (keep the current request while its row is open), B_BLOCKED (stopped by a forced
# refresh), B_SLEEP (rank powered down), B_NEXT (next command, -1 none)
B_STATE, B_OPEN, B_CUR, B_KEEP, B_BLOCKED, B_SLEEP, B_NEXT = range(7)
# power-down manager states
PD_IDLE, PD_ACT, PD_PRE, PD_SREF, PD_EXTRA = range(5)


def build_config(mc: dict) -> np.ndarray:
    """Encode a resolved mcconfig (see :mod:`..mcconfig`) as the integer vector the loop reads."""
    cfg = np.zeros(C_NCFG, dtype=np.int64)
    cfg[C_PAGE] = PAGE_CODES[mc["PagePolicy"]]
    cfg[C_SCHED] = SCHED_CODES[mc["Scheduler"]]
    cfg[C_BUFTYPE] = BUFFER_CODES[mc["SchedulerBuffer"]]
    cfg[C_BUFSIZE] = mc["RequestBufferSize"]
    cfg[C_BUFREAD] = mc["RequestBufferSizeRead"]
    cfg[C_BUFWRITE] = mc["RequestBufferSizeWrite"]
    cfg[C_RESPQ] = RESPQ_CODES[mc["RespQueue"]]
    cfg[C_REFRESH] = REFRESH_CODES[mc["RefreshPolicy"]]
    cfg[C_POSTPONE] = mc["RefreshMaxPostponed"]
    cfg[C_PULLIN] = mc["RefreshMaxPulledin"]
    cfg[C_PD] = PD_CODES[mc["PowerDownPolicy"]]
    cfg[C_ARBITER] = ARBITER_CODES[mc["Arbiter"]]
    cfg[C_MAXACTIVE] = mc["MaxActiveTransactions"]
    cfg[C_THINKFW] = mc["ThinkDelayFw"]
    cfg[C_THINKBW] = mc["ThinkDelayBw"]
    cfg[C_PHYFW] = mc["PhyDelayFw"]
    cfg[C_PHYBW] = mc["PhyDelayBw"]
    cfg[C_ARBFW] = mc["ArbitrationDelayFw"]
    cfg[C_ARBBW] = mc["ArbitrationDelayBw"]
    return cfg


def build_spec_vector(spec) -> np.ndarray:
    """Encode a memspec's organisation and the timings the loop reads itself (the rest are in the rules)."""
    v = np.zeros(M_NSPEC, dtype=np.int64)
    v[M_RANKS] = spec.ranks
    v[M_BPR] = spec.banks_per_rank
    v[M_GPR] = spec.bank_groups_per_rank
    v[M_BPG] = spec.banks_per_group
    rd_end, wr_end = strobe_offsets(spec)
    v[M_RL] = rd_end - spec.burst_cycles
    v[M_WL] = wr_end - spec.burst_cycles
    v[M_BURST] = spec.burst_cycles
    v[M_REFI] = spec.refresh_interval
    v[M_FAW] = spec.t("FAW")
    v[M_MUX] = mux_kind(spec)
    v[M_STACKS] = spec.stacks
    v[M_LEN:M_LEN + NCMD] = command_lengths(spec)
    return v


def buffer_capacity(cfg: np.ndarray) -> int:
    """Most requests one bank's scheduler queue can hold under the buffer policy."""
    if cfg[C_BUFTYPE] == 1:
        return int(cfg[C_BUFREAD] + cfg[C_BUFWRITE])
    return int(cfg[C_BUFSIZE])
