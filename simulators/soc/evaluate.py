"""One design end to end on flat arrays (numba): transfers -> phases -> costs.

``wl`` is the workload tuple of :func:`workload_tuple`, ``hw`` the hardware tuple of
:func:`hardware_tuple`, ``mem`` the memory cost table tuple ``(table, n_sizes, granule, min_bytes)``.
Both the general path (:mod:`.model`) and the batched limited-encoding path
(:mod:`.limited_encoding`) call :func:`evaluate_design`, so they agree by construction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from ..kernel_cache import key_module_kernels
from .cost import design_costs
from .memory_cost import MemoryCostTable
from .scheduler import MEM, OK, compile_transfers, run_phases
from .taskgraph import WorkloadArrays


def workload_tuple(w: WorkloadArrays) -> tuple:
    return (w.work, w.zero_work, w.e_src, w.e_dst, w.e_bytes, w.out_ptr, w.out_edges, w.in_ptr, w.in_edges, w.wu_w,
            w.wu_r, w.alloc_bytes, w.pinned, w.free_host)


def hardware_tuple(a: dict) -> tuple:
    return (a["kind"], a["peak"], a["inst_per_joule"], a["fixed_area"], a["work_per_m2"], a["mem_subtype"],
            a["joule_per_byte"], a["leakage"], a["nbr"])


def memory_tuple(m: MemoryCostTable) -> tuple:
    return (m.table, m.n_sizes, float(m.granule_bytes), float(m.min_bytes))


@njit(cache=True)
def evaluate_design(wl, last_task, hw, task_pe, task_mem, mem, early, pcp, include_leakage):
    """Simulate one mapped design; returns (err, err_a, err_b, scalars, per-task and per-block arrays)."""
    work, zero_work, e_src, e_dst, e_bytes, out_ptr, out_edges, in_ptr, in_edges, wu_w, wu_r, alloc, pinned, free_host = wl
    kind, peak, ipj, fixed_area, wpa, mem_subtype, jpb, leakage, nbr = hw
    table, n_sizes, granule, min_bytes = mem
    nb = kind.shape[0]
    n_t = work.shape[0]
    c = compile_transfers(kind, nbr, task_pe, task_mem, work, e_src, e_dst, e_bytes, wu_w, wu_r)
    err, ea, eb, in_design = c[0], c[1], c[2], c[3]
    scal = np.full(6, np.nan)  # latency, energy, power, area, dram area, end time
    if err != OK:
        z = np.zeros(nb)
        return (err, ea, eb, scal, in_design, 0, np.zeros(n_t), np.zeros(n_t), z, z, z, z, z, np.zeros((nb, 2)), z,
                np.zeros(0), np.zeros(0), z)
    (n_p, on, wu, n_c, cl_block, cl_dir, cl_out, cl_ptr, cl_in, present, rat, tb_ptr, tb_block, tb_dir,
     tb_ratio, cl_bytes) = c[4:]
    r = run_phases(work, zero_work, e_src, e_dst, out_ptr, out_edges, in_ptr, in_edges, alloc, pinned, peak, ipj,
                   task_pe, task_mem, n_p, on, wu, n_c, cl_block, cl_dir, cl_out, cl_ptr, cl_in, present, rat, tb_ptr,
                   tb_block, tb_dir, tb_ratio, cl_bytes, early)
    err, n_ph, ph_dt, ph_pe_e, ph_bytes, start, finish, mem_peak, work_pe, bott_time, chan_time = r
    if err != OK:
        z = np.zeros(nb)
        return (err, -1, -1, scal, in_design, 0, start, finish, z, z, z, z, mem_peak, np.zeros((nb, 2)), work_pe,
                np.zeros(0), np.zeros(0), z)
    ph_e, power, dyn, leak_e, area, mem_size, bytes_rw = design_costs(
        n_ph, ph_dt, ph_pe_e, ph_bytes, kind, mem_subtype, mem_peak, jpb, leakage, include_leakage, in_design,
        fixed_area, wpa, ipj, work_pe, task_pe, work, free_host, table, n_sizes, granule, min_bytes, pcp)
    lat = 0.0
    if last_task >= 0:
        lat = finish[last_task]
    else:
        for t in range(n_t):
            if finish[t] > lat:
                lat = finish[t]
    energy = 0.0
    for k in range(n_ph):
        energy += ph_e[k]
    a_tot = 0.0
    a_dram = 0.0
    for b in range(nb):
        a_tot += area[b]
        if kind[b] == MEM and mem_subtype[b] == 0:
            a_dram += area[b]
    t_end = 0.0
    for k in range(n_ph):
        t_end += ph_dt[k]
    scal[0] = lat
    scal[1] = energy
    scal[2] = power
    scal[3] = a_tot
    scal[4] = a_dram
    scal[5] = t_end
    return (err, -1, -1, scal, in_design, n_ph, start, finish, dyn, leak_e, area, mem_size, mem_peak, bytes_rw,
            work_pe, bott_time, ph_e[:n_ph].copy(), chan_time)


# these kernels inline or call kernels of sibling files: key their disk cache on the whole folder
key_module_kernels(globals(), Path(__file__).parent)
