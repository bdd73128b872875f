"""The architecture specification: a hierarchy of storage levels over a spatial array of MACs.

Levels are listed innermost first (index 0 sits next to the MACs) and the last one (DRAM) keeps every
tensor. As in Timeloop, PE-local buffers that sit side by side in hardware (Eyeriss' ifmap, weight
and partial-sum scratchpads) are consecutive levels, each keeping one tensor and bypassing the others;
a level that keeps nothing (Eyeriss' DummyBuffer) is only a point of spatial fan-out.

The fan-out below level ``l`` is ``instances(l-1) / instances(l)`` (the MACs below level 0), split into
an X part (``mesh_x`` ratio) and a Y part: a mapping's spatial factors at level ``l`` must fit in it.
Energies are per access of one block (``block_size`` words of ``word_bits``); bandwidths are in words
per cycle per instance (``None``: unlimited); sizes in words per instance (``None``: unbounded).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .workload import TENSORS


class ArchitectureError(ValueError):
    """An architecture specification that cannot be used."""


@dataclass(frozen=True)
class StorageLevel:
    name: str
    keeps: tuple = ("W", "I", "O")
    depth: int | None = None
    word_bits: int = 16
    block_size: int = 1
    instances: int = 1
    mesh_x: int | None = None
    read_bandwidth: float | None = None
    write_bandwidth: float | None = None
    read_energy: float = 0.0
    write_energy: float = 0.0
    area: float = 0.0
    component_class: str = "SRAM"
    n_banks: int = 1
    multiple_buffering: float = 1.0
    access_granularity_bits: int | None = None

    @property
    def granularity_bits(self) -> int:
        """Smallest transfer: a transfer of fewer bits costs this many (ZigZag's minimum bandwidth)."""
        return self.access_granularity_bits or self.word_bits

    @property
    def width_bits(self) -> int:
        return self.word_bits * self.block_size

    @property
    def capacity_bits(self) -> float:
        """Bits one instance can hold for a mapping's tiles (``inf`` if unbounded)."""
        if self.depth is None:
            return float("inf")
        return self.depth * self.width_bits / self.multiple_buffering


@dataclass(frozen=True)
class ComputeUnit:
    name: str = "mac"
    instances: int = 1
    mesh_x: int | None = None
    energy: float = 0.0
    area: float = 0.0


@dataclass(frozen=True)
class Architecture:
    """Storage levels (innermost first) over ``compute``.

    ``mac_operand_reuse``: per tensor, whether a MAC keeps its last operand so that an unchanged
    operand is not read again (ZigZag's ``access_same_data_considered_as_no_access``; Timeloop reads
    every operand on every MAC: set all to False). ``spatial_reduction``: ``"tree"`` (partial sums of
    PEs that share an output meet in an adder at the parent level, so every PE starts its own sum from
    zero) or ``"chain"`` (a systolic chain: only the first PE of the chain starts from zero, each other
    one reads the sum passed to it; ZigZag's accounting).
    """

    name: str
    levels: tuple
    compute: ComputeUnit
    mac_operand_reuse: dict = field(default_factory=lambda: {"W": True, "I": True, "O": False})
    spatial_reduction: str = "tree"

    def __post_init__(self):
        levels = tuple(self.levels)
        object.__setattr__(self, "levels", levels)
        if not levels:
            raise ArchitectureError(f"architecture {self.name!r}: needs at least one storage level")
        names = [lv.name for lv in levels]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ArchitectureError(f"architecture {self.name!r}: duplicate level names {dupes}")
        for lv in levels:
            bad = [t for t in lv.keeps if t not in TENSORS]
            if bad:
                raise ArchitectureError(f"level {lv.name!r}: keeps unknown tensor(s) {bad}; allowed: {list(TENSORS)}")
            for attr in ("word_bits", "block_size", "instances", "n_banks"):
                v = getattr(lv, attr)
                if not isinstance(v, (int, np.integer)) or v < 1:
                    raise ArchitectureError(f"level {lv.name!r}: {attr} must be an integer >= 1, got {v!r}")
            if lv.depth is not None and (not isinstance(lv.depth, (int, np.integer)) or lv.depth < 1):
                raise ArchitectureError(f"level {lv.name!r}: depth must be an integer >= 1 or None, got {lv.depth!r}")
            for attr in ("read_bandwidth", "write_bandwidth"):
                v = getattr(lv, attr)
                if v is not None and not v > 0:
                    raise ArchitectureError(f"level {lv.name!r}: {attr} must be > 0 or None, got {v!r}")
            for attr in ("read_energy", "write_energy", "area"):
                if not getattr(lv, attr) >= 0:
                    raise ArchitectureError(f"level {lv.name!r}: {attr} must be >= 0, got {getattr(lv, attr)!r}")
            g = lv.access_granularity_bits
            if g is not None and (not isinstance(g, (int, np.integer)) or not 1 <= g <= lv.width_bits):
                raise ArchitectureError(f"level {lv.name!r}: access_granularity_bits must be an integer in "
                                        f"1..{lv.width_bits} (the access width), got {g!r}")
            if not lv.multiple_buffering >= 1:
                raise ArchitectureError(f"level {lv.name!r}: multiple_buffering must be >= 1, got {lv.multiple_buffering!r}")
        missing = [t for t in TENSORS if t not in levels[-1].keeps]
        if missing:
            raise ArchitectureError(f"architecture {self.name!r}: the outermost level {levels[-1].name!r} must keep "
                                    f"every tensor; it bypasses {missing}")
        if self.spatial_reduction not in ("tree", "chain"):
            raise ArchitectureError(f"spatial_reduction {self.spatial_reduction!r} is not known; allowed: ['tree', 'chain']")
        reuse = {"W": True, "I": True, "O": False, **dict(self.mac_operand_reuse)}
        if set(reuse) != set(TENSORS):
            raise ArchitectureError(f"mac_operand_reuse keys must be {list(TENSORS)}, got {sorted(reuse)}")
        object.__setattr__(self, "mac_operand_reuse", reuse)
        _ = self.fanouts  # validates the instance counts

    # -- derived ---------------------------------------------------------------------------
    @property
    def n_levels(self) -> int:
        return len(self.levels)

    def level_index(self, name: str) -> int:
        for i, lv in enumerate(self.levels):
            if lv.name == name:
                return i
        raise ArchitectureError(f"architecture {self.name!r} has no level {name!r}; levels: {[lv.name for lv in self.levels]}")

    @property
    def fanouts(self) -> np.ndarray:
        """``fanouts[l] = (x, y)``: spatial fan-out from one instance of level ``l`` to its children."""
        cached = self.__dict__.get("_fanouts")
        if cached is not None:
            return cached
        out = np.ones((self.n_levels, 2), dtype=np.int64)
        below_n, below_x = self.compute.instances, self.compute.mesh_x or self.compute.instances
        below_name = self.compute.name
        for i, lv in enumerate(self.levels):
            mx = lv.mesh_x or lv.instances
            if below_n % lv.instances or below_x % mx or lv.instances % mx:
                raise ArchitectureError(
                    f"level {lv.name!r}: {lv.instances} instances (mesh_x {mx}) do not divide the {below_n} instances "
                    f"(mesh_x {below_x}) of {below_name!r} below it")
            fan = below_n // lv.instances
            fx = below_x // mx
            if fan % fx:
                raise ArchitectureError(f"level {lv.name!r}: fan-out {fan} is not a multiple of its X fan-out {fx}")
            out[i] = (fx, fan // fx)
            below_n, below_x, below_name = lv.instances, mx, lv.name
        object.__setattr__(self, "_fanouts", out)
        return out

    @property
    def area_um2(self) -> float:
        """Area of the accelerator: MACs plus every storage instance (DRAM is given area 0)."""
        return self.compute.instances * self.compute.area + sum(lv.instances * lv.area for lv in self.levels)

    def arrays(self) -> ArchArrays:
        """The numeric form the cost kernels take (cached)."""
        cached = self.__dict__.get("_arrays")
        if cached is not None:
            return cached
        L = self.n_levels
        keeps = np.zeros((L, 3), dtype=np.bool_)
        for i, lv in enumerate(self.levels):
            for t in lv.keeps:
                keeps[i, TENSORS.index(t)] = True
        inf = np.inf
        arr = ArchArrays(
            keeps=keeps,
            capacity_bits=np.array([lv.capacity_bits for lv in self.levels], dtype=np.float64),
            word_bits=np.array([lv.word_bits for lv in self.levels], dtype=np.float64),
            width_bits=np.array([lv.width_bits for lv in self.levels], dtype=np.float64),
            granule_bits=np.array([lv.granularity_bits for lv in self.levels], dtype=np.float64),
            read_bw=np.array([lv.read_bandwidth if lv.read_bandwidth is not None else inf for lv in self.levels]),
            write_bw=np.array([lv.write_bandwidth if lv.write_bandwidth is not None else inf for lv in self.levels]),
            read_energy=np.array([lv.read_energy for lv in self.levels], dtype=np.float64),
            write_energy=np.array([lv.write_energy for lv in self.levels], dtype=np.float64),
            fanout=self.fanouts.copy(),
            latch=np.array([self.mac_operand_reuse[t] for t in TENSORS], dtype=np.bool_),
            chain=self.spatial_reduction == "chain",
            mac_energy=float(self.compute.energy),
            n_macs=int(self.compute.instances),
        )
        object.__setattr__(self, "_arrays", arr)
        return arr

    def with_levels(self, **changes) -> Architecture:
        """A copy with some levels replaced: ``with_levels(shared_glb=StorageLevel(...))``."""
        levels = tuple(changes.pop(lv.name, lv) for lv in self.levels)
        if changes:
            raise ArchitectureError(f"no level(s) {sorted(changes)} in {self.name!r}")
        return replace(self, levels=levels)

    def describe(self) -> str:
        lines = [f"architecture {self.name}: {self.compute.instances} x {self.compute.name}"]
        for i in reversed(range(self.n_levels)):
            lv = self.levels[i]
            size = "unbounded" if lv.depth is None else f"{lv.depth} x {lv.width_bits} b"
            fx, fy = self.fanouts[i]
            lines.append(f"  [{i}] {lv.name:<14} x{lv.instances:<5} keeps {','.join(lv.keeps) or '-':<6} {size:<16} "
                         f"fan-out {fx}x{fy}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ArchArrays:
    keeps: np.ndarray
    capacity_bits: np.ndarray
    word_bits: np.ndarray
    width_bits: np.ndarray
    granule_bits: np.ndarray
    read_bw: np.ndarray
    write_bw: np.ndarray
    read_energy: np.ndarray
    write_energy: np.ndarray
    fanout: np.ndarray
    latch: np.ndarray
    chain: bool
    mac_energy: float
    n_macs: int
