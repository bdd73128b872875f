"""Energy, power and area of a simulated design (numba), FARSI's accounting.

- Energy: PE instructions / (instructions per joule); memory bytes read and written times the
  CACTI energy per byte of a memory of its size; bus bytes times the bus's joules per byte (zero in
  FARSI's library); optional leakage (block leakage power x simulated time; off in FARSI's
  performance simulation). Per phase and per block; both add up to the total.
- Power: FARSI's system power -- the highest average power over windows of about ``pcp`` seconds
  (10 ms). A window closes at the first phase that does not fit in what is left of it; phases of
  zero length are skipped while counting, which shifts the window bounds (FARSI's
  ``slice_phases_with_PWP``, reproduced as is).
- Area: a general-purpose PE counts its fixed area if it runs any task other than the workload's
  zero-work inputs and outputs; an accelerator the largest work / (work per m^2) of its tasks; a
  memory the CACTI area of its size; a bus its fixed area (zero in FARSI's library). Blocks not
  connected to any PE that runs a task are not part of the design.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numba import njit

from ..kernel_cache import key_module_kernels
from .memory_cost import memory_costs
from .scheduler import BUS, MEM, PE, READ, WRITE


@njit(cache=True)
def window_power(ph_dt, ph_e, n_ph, pcp):
    """FARSI's power: the highest energy / time over its ~``pcp`` s windows of phases."""
    lo = 0
    up = 0
    budget = pcp
    n_b = 0
    b_lo = np.empty(n_ph + 1, np.int64)
    b_hi = np.empty(n_ph + 1, np.int64)
    for k in range(n_ph):
        dt = ph_dt[k]
        if dt == 0.0:
            continue
        if dt > budget:
            budget = pcp
            b_lo[n_b] = lo
            b_hi[n_b] = up + 1
            n_b += 1
            lo = up + 1
        else:
            budget -= dt
        up += 1
    if n_b == 0:
        b_lo[0] = 0
        b_hi[0] = n_ph
        n_b = 1
    elif b_hi[n_b - 1] != n_ph:
        b_lo[n_b] = b_hi[n_b - 1]
        b_hi[n_b] = n_ph
        n_b += 1
    best = 0.0
    for i in range(n_b):
        s = 0.0
        e = 0.0
        for k in range(b_lo[i], min(b_hi[i], n_ph)):
            s += ph_dt[k]
            e += ph_e[k]
        p = e / s if s > 0.0 else 0.0
        if p > best:
            best = p
    return best


@njit(cache=True)
def design_costs(n_ph, ph_dt, ph_pe_e, ph_bytes, kind, mem_subtype, mem_peak, joule_per_byte, leakage, include_leakage,
                 in_design, fixed_area, work_per_m2, inst_per_joule, work_pe, task_pe, work, free_host,
                 table, n_sizes, granule, min_bytes, pcp):
    """Energy per phase and per block, FARSI power, area per block and memory sizes."""
    nb = kind.shape[0]
    n_t = work.shape[0]
    mem_size = np.zeros(nb)
    rd_j = np.zeros(nb)
    wr_j = np.zeros(nb)
    area = np.zeros(nb)
    leak = np.zeros(nb)
    for b in range(nb):
        if not in_design[b]:
            continue
        if include_leakage:
            leak[b] = leakage[b]
        if kind[b] == MEM:
            size = math.ceil(max(math.ceil(mem_peak[b]), min_bytes) / granule) * granule
            mem_size[b] = size
            r, w, a, lk = memory_costs(table, n_sizes, mem_subtype[b], size, granule)
            rd_j[b] = r
            wr_j[b] = w
            area[b] = a
            if include_leakage:
                leak[b] = lk
        elif kind[b] == BUS:
            rd_j[b] = joule_per_byte[b]
            wr_j[b] = joule_per_byte[b]
            area[b] = fixed_area[b]
    for t in range(n_t):
        pe = task_pe[t]
        if not free_host[t] and fixed_area[pe] > area[pe]:
            area[pe] = fixed_area[pe]
        if work[t] > 0.0 and work_per_m2[pe] > 0.0 and work[t] / work_per_m2[pe] > area[pe]:
            area[pe] = work[t] / work_per_m2[pe]
    leak_w = 0.0
    for b in range(nb):
        leak_w += leak[b]
    ph_e = np.zeros(n_ph)
    t_end = 0.0
    for k in range(n_ph):
        e = ph_pe_e[k] + leak_w * ph_dt[k]
        for b in range(nb):
            if kind[b] != PE:
                e += ph_bytes[k, b, READ] * rd_j[b] + ph_bytes[k, b, WRITE] * wr_j[b]
        ph_e[k] = e
        t_end += ph_dt[k]
    dyn = np.zeros(nb)
    bytes_rw = np.zeros((nb, 2))
    for b in range(nb):
        for k in range(n_ph):
            bytes_rw[b, READ] += ph_bytes[k, b, READ]
            bytes_rw[b, WRITE] += ph_bytes[k, b, WRITE]
        if kind[b] == PE:
            dyn[b] = work_pe[b] / inst_per_joule[b] if work_pe[b] > 0.0 else 0.0
        else:
            dyn[b] = bytes_rw[b, READ] * rd_j[b] + bytes_rw[b, WRITE] * wr_j[b]
    leak_e = leak * t_end
    power = window_power(ph_dt, ph_e, n_ph, pcp)
    return ph_e, power, dyn, leak_e, area, mem_size, bytes_rw


# these kernels inline or call kernels of sibling files: key their disk cache on the whole folder
key_module_kernels(globals(), Path(__file__).parent)
