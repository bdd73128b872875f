"""Energy per access and area of storage components and MACs, 65 nm, Accelergy-style (class + attributes).

Node and sources (facts used; the fits are ours):

* Relative energy per 16-bit access at 65 nm, normalised to one 16-bit MAC (Chen, Emer, Sze, "Eyeriss: A
  Spatial Architecture for Energy-Efficient Dataflow for CNNs", ISCA 2016, Fig. 2; repeated in Sze et al.,
  Proc. IEEE 2017, Fig. 19): register file of 0.5 kB 1x, inter-PE transfer 2x, global buffer of ~100 kB
  6x, DRAM 200x.
* Absolute scale: a 16-bit integer MAC. Horowitz (ISSCC 2014, 45 nm, 0.9 V) gives 0.2 pJ for an 8-bit and
  3.1 pJ for a 32-bit multiply and 0.1 pJ for a 32-bit add; a 16-bit multiply-accumulate is about 0.9 pJ
  there, x1.78 for 65 nm at 1.0 V (C x V^2): **1.6 pJ**. (Accelergy's 45 nm table gives 2.2 pJ for its
  16-bit ``intmac``, ArchGym's Timeloop output.)
* SRAM: energy grows as the cube root of capacity through both Eyeriss points (0.5 kB -> 1x, 108 kB ->
  6x: exponent ln 6 / ln 216 = 1/3). Register file (flip-flops and read muxes): square root of capacity,
  1x at 0.5 kB: cheaper than SRAM below that, dearer above. A banked memory is accessed one bank at a
  time. A wider access (``block_size`` words) costs ``block_size ** 0.75`` one-word accesses (CACTI's
  trend: decoding is shared).
* ``smartbuffer_SRAM`` / ``smartbuffer_RF`` (Accelergy/Timeloop compound components): the storage plus an
  address generator, a log2(depth)-bit adder, per access (16-bit add: 0.05 pJ at 45 nm -> 0.09 pJ).
* Area: 6T SRAM bit cell 0.52 um^2 at 65 nm (TSMC 65 nm high-density cell, 0.499-0.525 um^2) at 70 %
  array efficiency, plus 2,000 um^2 of periphery per bank; register files 8 um^2 per bit (a 65 nm D
  flip-flop is 5.8-7 um^2, plus its share of read multiplexers) plus 200 um^2; 16-bit MAC 3,600 um^2
  (about 2,500 NAND2 equivalents at 1.44 um^2); DRAM off chip (0). Storage and MACs only: no NoC or
  control logic, as in Accelergy's Eyeriss example.
"""

from __future__ import annotations

import math

NODE_NM = 65
MAC16_PJ = 1.6
#: relative energy anchors (x one 16-bit MAC) from Eyeriss
RF_REF_BYTES = 512
GLB_REF_BYTES = 108 * 1024
GLB_REL = 6.0
DRAM_REL = 200.0
ADD16_PJ = 0.09
SRAM_BIT_UM2 = 0.52 / 0.70
SRAM_BANK_PERIPHERY_UM2 = 2000.0
RF_BIT_UM2 = 8.0
RF_OVERHEAD_UM2 = 200.0
MAC16_UM2 = 3600.0
WIDTH_EXPONENT = 0.75

CLASSES = ("regfile", "SRAM", "smartbuffer_RF", "smartbuffer_SRAM", "DRAM")


class ComponentError(ValueError):
    """A component class or attribute the table does not cover."""


def _check(cls: str, depth: int, word_bits: int, block_size: int, n_banks: int) -> None:
    if cls not in CLASSES:
        raise ComponentError(f"component class {cls!r} is not known; allowed: {list(CLASSES)}")
    for name, v in (("depth", depth), ("word_bits", word_bits), ("block_size", block_size), ("n_banks", n_banks)):
        if not isinstance(v, int) or v < 1:
            raise ComponentError(f"{cls}: {name} must be an integer >= 1, got {v!r}")
    if cls != "DRAM" and depth < n_banks:
        raise ComponentError(f"{cls}: depth {depth} is smaller than n_banks {n_banks}")


def mac_energy(bits: int = 16) -> float:
    """pJ per MAC (multiplier grows with the square of the width, the adder linearly)."""
    return MAC16_PJ * (0.85 * (bits / 16) ** 2 + 0.15 * bits / 16)


def mac_area(bits: int = 16) -> float:
    return MAC16_UM2 * (0.85 * (bits / 16) ** 2 + 0.15 * bits / 16)


def access_energy(cls: str, depth: int, word_bits: int = 16, block_size: int = 1, n_banks: int = 1) -> float:
    """pJ per access of one block (``block_size`` words of ``word_bits``) of one instance."""
    _check(cls, depth, word_bits, block_size, n_banks)
    width_scale = (block_size ** WIDTH_EXPONENT) * word_bits / 16
    if cls == "DRAM":
        return DRAM_REL * MAC16_PJ * block_size * word_bits / 16
    bank_bytes = depth // n_banks * block_size * word_bits / 8
    if cls in ("SRAM", "smartbuffer_SRAM"):
        rel = (bank_bytes / RF_REF_BYTES) ** (math.log(GLB_REL) / math.log(GLB_REF_BYTES / RF_REF_BYTES))
    else:
        rel = (bank_bytes / RF_REF_BYTES) ** 0.5
    e = rel * MAC16_PJ * width_scale
    if n_banks > 1:
        e += ADD16_PJ * math.log2(n_banks) / 16  # bank select
    if cls.startswith("smartbuffer"):
        e += ADD16_PJ * max(1.0, math.log2(depth)) / 16
    return e


def area(cls: str, depth: int, word_bits: int = 16, block_size: int = 1, n_banks: int = 1) -> float:
    """um^2 of one instance."""
    _check(cls, depth, word_bits, block_size, n_banks)
    if cls == "DRAM":
        return 0.0
    bits = depth * block_size * word_bits
    if cls in ("SRAM", "smartbuffer_SRAM"):
        a = bits * SRAM_BIT_UM2 + n_banks * SRAM_BANK_PERIPHERY_UM2
    else:
        a = bits * RF_BIT_UM2 + RF_OVERHEAD_UM2 * n_banks
    if cls.startswith("smartbuffer"):
        a += 2 * max(1.0, math.log2(depth)) * 25.0  # two address adders, ~25 um^2 per bit
    return a
