"""A network as a layer table, and its cost on an architecture with the mapper choosing each layer's mapping.

Layer-table CSV (``datasets/dataflow/*.csv``): one row per layer shape, in framework terms::

    layer,type,H,W,C,K,R,S,stride,padding,groups,repeat
    conv1,conv,227,227,3,96,11,11,4,0,1,1

``type`` is ``conv`` (``groups`` = C = K makes it depthwise), ``fc`` (a fully connected layer, C inputs
and K outputs) or ``gemm`` (then ``H`` = M rows, ``C`` = the reduction K, ``K`` = N columns).
``repeat`` counts identical layers. Identical shapes are mapped once and their cost multiplied.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ..textfile import decode_error
from .architecture import Architecture
from .cost import Evaluation
from .mapper import Mapper
from .workload import Layer, WorkloadError, conv, gemm

COLUMNS = ("layer", "type", "H", "W", "C", "K", "R", "S", "stride", "padding", "groups", "repeat")
TYPES = ("conv", "fc", "gemm")


def load_layers(path: str | Path, bits: int | dict = 16) -> list[Layer]:
    """Layers of a layer-table CSV; errors name the file, line, column and value."""
    path = Path(path)
    prec = bits if isinstance(bits, dict) else {"W": bits, "I": bits, "O": bits, "O_final": bits}
    try:
        text = path.read_text()
    except OSError as e:
        raise WorkloadError(f"{path}: cannot read the layer table: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise WorkloadError(f"{path}: {decode_error(e)}") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise WorkloadError(f"{path}: empty layer table; expected the header {','.join(COLUMNS)}")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    if missing or unknown:
        raise WorkloadError(f"{path}, line 1: header must hold the columns {list(COLUMNS)}; missing {missing}, "
                            f"unknown {unknown}")
    layers = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or all(not x.strip() for x in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) != len(header):
            raise WorkloadError(f"{path}, line {lineno}: {len(row)} fields; expected {len(header)} "
                                f"({','.join(header)})")
        rec = dict(zip(header, (x.strip() for x in row)))
        name, typ = rec["layer"], rec["type"]
        if typ not in TYPES:
            raise WorkloadError(f"{path}, line {lineno}: type {typ!r} is not known; allowed: {list(TYPES)}")
        nums = {}
        for col in COLUMNS[2:]:
            try:
                nums[col] = int(rec[col])
                if nums[col] >= 1 << 31:
                    raise ValueError
            except (KeyError, ValueError):
                raise WorkloadError(f"{path}, line {lineno}, column {col}: {rec.get(col)!r} is not an integer below 2^31") from None
            if nums[col] < (0 if col == "padding" else 1):
                raise WorkloadError(f"{path}, line {lineno}, column {col}: {nums[col]} must be >= "
                                    f"{0 if col == 'padding' else 1}")
        try:
            if typ == "gemm":
                layers.append(gemm(name, M=nums["H"], K=nums["C"], N=nums["K"], bits=prec, repeat=nums["repeat"]))
            else:
                layers.append(conv(name, K=nums["K"], C=nums["C"], H=nums["H"], W=nums["W"], R=nums["R"], S=nums["S"],
                                   stride=nums["stride"], padding=nums["padding"], groups=nums["groups"], bits=prec,
                                   repeat=nums["repeat"]))
        except WorkloadError as e:
            raise WorkloadError(f"{path}, line {lineno}: {e}") from None
    if not layers:
        raise WorkloadError(f"{path}: the layer table has no layers")
    return layers


@dataclass
class NetworkCost:
    """Totals over a network (each layer times its repeat count) and the per-layer evaluations."""

    layers: list
    evaluations: list = field(default_factory=list)

    @property
    def energy_pj(self) -> float:
        return sum(ev.energy_pj * ly.repeat for ly, ev in zip(self.layers, self.evaluations))

    @property
    def cycles(self) -> float:
        return sum(ev.cycles * ly.repeat for ly, ev in zip(self.layers, self.evaluations))

    @property
    def macs(self) -> float:
        return sum(ly.macs * ly.repeat for ly in self.layers)

    @property
    def area_um2(self) -> float:
        return self.evaluations[0].area_um2

    @property
    def utilization(self) -> float:
        return self.macs / (self.evaluations[0].arch.compute.instances * self.cycles)

    def metrics(self) -> dict:
        return {"energy_uj": self.energy_pj * 1e-6, "area_mm2": self.area_um2 * 1e-6, "cycles": self.cycles,
                "edp": self.energy_pj * 1e-6 * self.cycles, "utilization": self.utilization}


def network_cost(arch: Architecture, layers: list[Layer], mapper: Mapper | None = None,
                 cache: dict | None = None) -> NetworkCost:
    """Map every distinct layer shape with ``mapper`` (default: ``Mapper(arch)``) and total the costs.

    ``cache`` (optional, shape key -> Evaluation) lets repeated calls with the same architecture and
    mapper settings skip shapes already mapped."""
    mapper = mapper or Mapper(arch)
    if mapper.arch is not arch:
        raise ValueError("the mapper belongs to another architecture")
    cache = {} if cache is None else cache
    out = NetworkCost(list(layers))
    for ly in layers:
        key = ly.shape_key
        ev = cache.get(key)
        if ev is None:
            ev = mapper.best(ly)
            cache[key] = ev
        out.evaluations.append(ev)
    return out


def evaluation_summary(ev: Evaluation) -> str:
    return (f"{ev.layer.name}: {ev.cycles:.0f} cycles ({ev.bottleneck}-bound), {ev.energy_pj * 1e-6:.3f} uJ, "
            f"utilization {ev.utilization:.1%}")
