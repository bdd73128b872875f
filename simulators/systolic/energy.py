"""Energy and area of a systolic-array accelerator from per-access, per-PE and per-KiB costs.

SCALE-Sim counts accesses but has no energy or area; this table turns its counts into both, so
that design searches can target energy, power and area. All figures are for a 45 nm CMOS process
at 0.9 V, 8-bit operands (SCALE-Sim's word size is one byte):

==================  ==============  ========================================================
quantity            value           source
==================  ==============  ========================================================
MAC energy          0.3 pJ          Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm:
                                    8-bit multiply 0.2 pJ + 32-bit accumulate 0.1 pJ
PE register access  0.05 pJ/word    operand pipeline registers between neighbouring PEs,
                                    two words moved per MAC
                                    (Eyeriss, Chen et al. ISCA 2016: inter-PE move ~= 1/4 of a
                                    MAC-sized RF access; same 45/65 nm class)
SRAM access         1.25 pJ/byte    Horowitz ISSCC 2014: 8 KiB SRAM, 10 pJ per 64-bit access;
                    x sqrt(S/8KiB)  32 KiB 20 pJ, 1 MiB 100 pJ -> ~square-root growth with size
DRAM access         250 pJ/byte     Horowitz ISSCC 2014: DRAM 1.3-2.6 nJ per 64-bit access
                                    (2.0 nJ / 8 bytes)
PE area             700 um^2        Horowitz ISSCC 2014 45 nm areas: 8-bit multiplier 282 um^2,
                                    32-bit adder 137 um^2, plus ~56 flip-flop bits of pipeline
                                    and accumulator registers at ~5 um^2 each
SRAM area           0.01 mm^2/KiB   45 nm 6T cell 0.346 um^2 (Intel 45 nm) at ~30 % array
                                    efficiency including periphery (CACTI-class figure for
                                    16-256 KiB macros)
PE leakage          0.5 uW / PE     ~5 % of a PE's dynamic power at 1 GHz full activity (45 nm)
SRAM leakage        5 uW / KiB      45 nm low-power SRAM (CACTI-class figure)
==================  ==============  ========================================================

The SRAM per-byte energy uses the size of the whole (double-buffered) scratchpad. Static energy is
leakage power times run time (cycles / clock). Every value is a field of :class:`EnergyTable`, so a
user can substitute figures for another node.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class EnergyTable:
    """Per-event energies (pJ), per-unit areas (mm^2) and leakage (uW); 45 nm defaults (see module doc)."""

    mac_pj: float = 0.3
    pe_reg_pj_per_word: float = 0.05
    sram_pj_per_byte_8kib: float = 1.25
    sram_ref_kib: float = 8.0
    dram_pj_per_byte: float = 250.0
    pe_area_mm2: float = 700e-6
    sram_area_mm2_per_kib: float = 0.01
    pe_leak_uw: float = 0.5
    sram_leak_uw_per_kib: float = 5.0
    process: str = "45 nm, 0.9 V (Horowitz ISSCC 2014; Eyeriss ISCA 2016; CACTI-class SRAM)"

    def to_dict(self) -> dict:
        return asdict(self)

    def sram_pj_per_byte(self, size_kib):
        """Energy of one byte read or written in an SRAM of ``size_kib`` KiB."""
        return self.sram_pj_per_byte_8kib * np.sqrt(np.asarray(size_kib, dtype=np.float64) / self.sram_ref_kib)


DEFAULT_TABLE = EnergyTable()


def area_mm2(rows, cols, ifmap_kb, filter_kb, ofmap_kb, table: EnergyTable = DEFAULT_TABLE):
    """Die area of the PE array plus the three SRAMs (mm^2); numpy-broadcasting."""
    pes = np.asarray(rows, dtype=np.float64) * np.asarray(cols, dtype=np.float64)
    sram = np.asarray(ifmap_kb, dtype=np.float64) + np.asarray(filter_kb, dtype=np.float64) + np.asarray(ofmap_kb, dtype=np.float64)
    return pes * table.pe_area_mm2 + sram * table.sram_area_mm2_per_kib


def energy_pj(*, macs, pe_words, sram_ifmap, sram_filter, sram_ofmap, dram_words, cycles, rows, cols,
              ifmap_kb, filter_kb, ofmap_kb, word_bytes, frequency_mhz, table: EnergyTable = DEFAULT_TABLE) -> dict:
    """Energy components (pJ) of a run; every argument may be a numpy array (they broadcast)."""
    wb = np.asarray(word_bytes, dtype=np.float64)
    f = lambda x: np.asarray(x, dtype=np.float64)  # noqa: E731
    compute = f(macs) * table.mac_pj + f(pe_words) * table.pe_reg_pj_per_word
    sram = (f(sram_ifmap) * table.sram_pj_per_byte(ifmap_kb) + f(sram_filter) * table.sram_pj_per_byte(filter_kb)
            + f(sram_ofmap) * table.sram_pj_per_byte(ofmap_kb)) * wb
    dram = f(dram_words) * wb * table.dram_pj_per_byte
    seconds = f(cycles) / (f(frequency_mhz) * 1e6)
    leak_w = (f(rows) * f(cols) * table.pe_leak_uw + (f(ifmap_kb) + f(filter_kb) + f(ofmap_kb)) * table.sram_leak_uw_per_kib) * 1e-6
    static = leak_w * seconds * 1e12
    return {"compute": compute, "sram": sram, "dram": dram, "static": static, "total": compute + sram + dram + static}
