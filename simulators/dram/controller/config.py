"""The controller's inputs as the integer vectors the numba loop reads: mcconfig knobs and memspec figures.

The compiled loop takes no dicts or strings, so :func:`build_config` encodes a resolved mcconfig (see
:mod:`..mcconfig`) as integers and :func:`build_spec_vector` the organisation and the few timings the loop
needs beyond the constraint table (:mod:`..timing`); the ``C_*`` and ``M_*`` names index the two vectors.
"""

from __future__ import annotations

import numpy as np

#: "never" for times; larger than any simulated cycle
INF = np.int64(2 ** 62)
#: request id larger than any request's (the oldest-first tie-break's neutral value)
BIG_PID = np.int64(2 ** 62)

# configuration vector layout (filled by build_config)
C_PAGE, C_SCHED, C_BUFTYPE, C_BUFSIZE, C_BUFREAD, C_BUFWRITE, C_RESPQ, C_REFRESH, C_POSTPONE, C_PULLIN, C_PD, \
    C_ARBITER, C_MAXACTIVE, C_THINKFW, C_THINKBW, C_PHYFW, C_PHYBW, C_ARBFW, C_ARBBW, C_NCFG = range(20)
# memspec vector layout
M_RANKS, M_BPR, M_GPR, M_BPG, M_RL, M_WL, M_BURST, M_REFI, M_FAW, M_NSPEC = range(10)

PAGE_CODES = {"Open": 0, "OpenAdaptive": 1, "Closed": 2, "ClosedAdaptive": 3}
SCHED_CODES = {"Fifo": 0, "FrFcfs": 1, "FrFcfsGrp": 2}
BUFFER_CODES = {"Bankwise": 0, "ReadWrite": 1, "Shared": 2}
RESPQ_CODES = {"Fifo": 0, "Reorder": 1}
REFRESH_CODES = {"NoRefresh": 0, "AllBank": 1}
PD_CODES = {"NoPowerDown": 0, "Staggered": 1}
ARBITER_CODES = {"Simple": 0, "Fifo": 1, "Reorder": 2}


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
    """Encode a :class:`..memspec.MemSpec`'s organisation and loop timings as the integer vector the loop reads."""
    v = np.zeros(M_NSPEC, dtype=np.int64)
    v[M_RANKS] = spec.ranks
    v[M_BPR] = spec.banks_per_rank
    v[M_GPR] = spec.bank_groups_per_rank
    v[M_BPG] = spec.banks_per_group
    v[M_RL] = spec.t("RL")
    v[M_WL] = spec.t("WL")
    v[M_BURST] = spec.burst_cycles
    v[M_REFI] = spec.refresh_interval
    v[M_FAW] = spec.t("FAW")
    return v


def buffer_capacity(cfg: np.ndarray) -> int:
    """Most requests one bank's scheduler queue can hold under the buffer policy."""
    if cfg[C_BUFTYPE] == 1:
        return int(cfg[C_BUFREAD] + cfg[C_BUFWRITE])
    return int(cfg[C_BUFSIZE])
