"""The Eyeriss-like accelerator of ArchGym's TimeloopGym, built from its design parameters.

ArchGym explores Timeloop's ``eyeriss_like`` architecture (Timeloop/Accelergy exercises) with these knobs:
the number of PEs (14..336 in steps of 14), the MAC mesh width, and for the ifmap, weight and partial-sum
scratchpads, the DummyBuffer and the shared global buffer their component class (regfile,
smartbuffer_SRAM, smartbuffer_RF, SRAM), depth and block size, plus read/write bandwidth for the
scratchpads and the global buffer and the global buffer's bank count. Its baseline
(``get_arch_param_template``): 168 PEs in a 14-wide mesh; smartbuffer_SRAM scratchpads of 12 (ifmap),
192 (weights) and 16 (psum) 16-bit words, block 1, 2 words/cycle each way; a 16-word SRAM DummyBuffer;
a 16384 x 64-bit smartbuffer_SRAM global buffer in 32 banks, block 4 (words per row), 16 words/cycle.

Hierarchy (innermost first, as in Timeloop's eyeriss_like): psum_spad (keeps outputs), weights_spad
(weights), ifmap_spad (inputs) -- one of each per PE --, DummyBuffer (keeps nothing, one per mesh
column: the fan-out point), shared_glb (inputs and outputs; weights bypass it), DRAM (everything).
A level's capacity is ``depth x block_size`` 16-bit words. DRAM: LPDDR4, 64-bit accesses; its bandwidth
is not an ArchGym knob and Timeloop's example leaves it unlimited -- here 4 words (64 bits) per cycle,
so that a design that refetches a lot from DRAM pays in cycles too.
"""

from __future__ import annotations

from . import energy_table as table
from .architecture import Architecture, ArchitectureError, ComputeUnit, StorageLevel

WORD_BITS = 16
DRAM_BANDWIDTH_WORDS = 4

#: ArchGym's TimeloopGym baseline design (its get_arch_param_template)
BASELINE = {
    "num_pes": 168, "mac_mesh_x": 14,
    "ifmap_spad_class": "smartbuffer_SRAM", "ifmap_spad_depth": 12, "ifmap_spad_block_size": 1,
    "ifmap_spad_read_bw": 2, "ifmap_spad_write_bw": 2,
    "weights_spad_class": "smartbuffer_SRAM", "weights_spad_depth": 192, "weights_spad_block_size": 1,
    "weights_spad_read_bw": 2, "weights_spad_write_bw": 2,
    "psum_spad_class": "smartbuffer_SRAM", "psum_spad_depth": 16, "psum_spad_block_size": 1,
    "psum_spad_read_bw": 2, "psum_spad_write_bw": 2,
    "dummy_buffer_class": "SRAM", "dummy_buffer_depth": 16, "dummy_buffer_block_size": 1,
    "shared_glb_class": "smartbuffer_SRAM", "shared_glb_depth": 16384, "shared_glb_n_banks": 32,
    "shared_glb_block_size": 4, "shared_glb_read_bw": 16, "shared_glb_write_bw": 16,
}


def _level(name, keeps, cls, depth, block, instances, mesh_x, rbw=None, wbw=None, n_banks=1) -> StorageLevel:
    e = table.access_energy(cls, depth, WORD_BITS, block, n_banks)
    return StorageLevel(name, keeps, depth=depth, word_bits=WORD_BITS, block_size=block, instances=instances,
                        mesh_x=mesh_x, read_bandwidth=rbw, write_bandwidth=wbw, read_energy=e, write_energy=e,
                        area=table.area(cls, depth, WORD_BITS, block, n_banks), component_class=cls,
                        n_banks=n_banks)


def eyeriss_like(params: dict | None = None) -> Architecture:
    """The architecture of one TimeloopGym design (missing parameters take the baseline values)."""
    p = {**BASELINE, **(params or {})}
    unknown = sorted(set(p) - set(BASELINE))
    if unknown:
        raise ArchitectureError(f"unknown Eyeriss-like parameter(s) {unknown}; allowed: {sorted(BASELINE)}")
    pes, mx = int(p["num_pes"]), int(p["mac_mesh_x"])
    if pes < 1 or mx < 1 or pes % mx:
        raise ArchitectureError(f"num_pes {pes} must be a positive multiple of mac_mesh_x {mx}")
    levels = (
        _level("psum_spad", ("O",), p["psum_spad_class"], p["psum_spad_depth"], p["psum_spad_block_size"], pes, mx,
               p["psum_spad_read_bw"], p["psum_spad_write_bw"]),
        _level("weights_spad", ("W",), p["weights_spad_class"], p["weights_spad_depth"], p["weights_spad_block_size"],
               pes, mx, p["weights_spad_read_bw"], p["weights_spad_write_bw"]),
        _level("ifmap_spad", ("I",), p["ifmap_spad_class"], p["ifmap_spad_depth"], p["ifmap_spad_block_size"], pes, mx,
               p["ifmap_spad_read_bw"], p["ifmap_spad_write_bw"]),
        _level("DummyBuffer", (), p["dummy_buffer_class"], p["dummy_buffer_depth"], p["dummy_buffer_block_size"],
               mx, mx),
        _level("shared_glb", ("I", "O"), p["shared_glb_class"], p["shared_glb_depth"], p["shared_glb_block_size"],
               1, 1, p["shared_glb_read_bw"], p["shared_glb_write_bw"], p["shared_glb_n_banks"]),
        StorageLevel("DRAM", ("W", "I", "O"), depth=None, word_bits=WORD_BITS, block_size=4,
                     read_bandwidth=DRAM_BANDWIDTH_WORDS, write_bandwidth=DRAM_BANDWIDTH_WORDS,
                     read_energy=table.access_energy("DRAM", 1, WORD_BITS, 4),
                     write_energy=table.access_energy("DRAM", 1, WORD_BITS, 4), component_class="DRAM"),
    )
    mac = ComputeUnit("mac", pes, mx, table.mac_energy(WORD_BITS), table.mac_area(WORD_BITS))
    return Architecture("eyeriss_like", levels, mac)
