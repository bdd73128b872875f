"""SCALE-Sim 3.0's custom SRAM layouts and the bank conflicts they cause (USER mode).

With ``IfmapCustomLayout``/``FilterCustomLayout`` SCALE-Sim 3.0 replaces an operand's prefetch
order by a layout taken from the **first row** of its layout CSV, whatever the layer:

* the ifmap ``(H, W, C)`` (filter ``(K, C, R, S)``) is padded to multiples of the row's intraline
  factors, split into inter- and intraline axes and transposed by the row's interline then
  intraline orders; the flattened result is the fill order (the ifmap's addresses without
  offset, the filter's with it);
* the read buffer then keeps that order in sets of ``bank bandwidth`` words (one SRAM line across
  all banks) instead of ``ceil(words/100)``; a word's column is its position in the iteration order
  of the Python ``set`` that holds its line (SCALE-Sim's ``list(set).index``), its bank is
  ``column // (bandwidth // banks)``;
* a demand line that touches ``n`` distinct lines in its most loaded bank waits
  ``ceil(n / ports) - 1`` more cycles, and a late prefetch adds its lateness once (not twice as in
  the default layout).

CALC mode ignores the layout (SCALE-Sim's estimate buffers do), apart from its checks. The set
order is reproduced by building the same sets in the same insertion order: CPython places a small
int (or an integer-valued float, as SCALE-Sim's are) by its value, so the order is exactly SCALE-Sim's.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .spec import SystolicConfig

#: the ifmap's and the filter's dimensions, in the order of their intraline factors
IFMAP_DIMS = ("X", "Y", "C")
FILTER_DIMS = ("K", "C", "R", "S")


@dataclass(frozen=True)
class OperandLayout:
    """One operand's layout (SCALE-Sim's intraline factors, intraline and interline orders) and its
    SRAM banks: ``banks`` banks of ``ports`` ports sharing the bank bandwidth."""

    factors: tuple[int, ...]
    intraline: tuple[int, ...]
    interline: tuple[int, ...]
    banks: int
    ports: int

    def __post_init__(self) -> None:
        n = len(self.factors)
        if n not in (3, 4) or min(self.factors) < 1:
            raise ValueError(f"OperandLayout.factors: value {self.factors!r} not allowed; allowed: 3 (ifmap) or "
                             "4 (filter) integers >= 1")
        order = tuple(self.interline) + tuple(self.intraline)
        if sorted(order) != list(range(2 * n)):
            raise ValueError(f"OperandLayout: interline {tuple(self.interline)!r} + intraline {tuple(self.intraline)!r} "
                             f"is not a permutation of 0..{2 * n - 1}; allowed: each axis once")
        if self.banks < 1 or self.ports < 1:
            raise ValueError(f"OperandLayout: banks {self.banks}, ports {self.ports}; allowed: integers >= 1")


@dataclass(frozen=True)
class LayoutConfig(SystolicConfig):
    """A :class:`SystolicConfig` with SCALE-Sim's custom layouts (``None``: the default layout) and
    the filter's address offset (``FilterOffset``: the filter's set order depends on it).

    Only the exact replay (``simulate(..., memory="replay")``, the CLI's default) models the layout;
    the analytic path does not."""

    ifmap_layout: OperandLayout | None = None
    filter_layout: OperandLayout | None = None
    filter_offset: int = 10000000

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.sparsity_support or self.optimized_mapping:
            raise ValueError("LayoutConfig: custom layouts with sparsity_support are not modelled; allowed: "
                             "sparsity_support=False")

    def to_dict(self) -> dict:
        d = super().to_dict()
        for name in ("ifmap_layout", "filter_layout"):
            v = getattr(self, name)
            d[name] = None if v is None else {f.name: getattr(v, f.name) for f in fields(v)}
        return d

    def layout(self, op: int) -> OperandLayout | None:
        """The layout of operand ``op`` (0 ifmap, 1 filter)."""
        return self.ifmap_layout if op == 0 else self.filter_layout


def fetch_order(lay: OperandLayout, dims: tuple[int, ...], offset: int = 0) -> np.ndarray:
    """SCALE-Sim's fill order of an operand of shape ``dims`` ((H, W, C) or (K, C, R, S)) under
    ``lay``: addresses ``offset + arange``, -1 for the padding to multiples of the factors."""
    n = len(dims)
    data = np.arange(int(np.prod(dims)), dtype=np.int64).reshape(dims) + offset
    tiles = [-(-d // f) for d, f in zip(dims, lay.factors)]
    data = np.pad(data, [(0, t * f - d) for t, f, d in zip(tiles, lay.factors, dims)], constant_values=-1)
    split = [x for t, f in zip(tiles, lay.factors) for x in (t, f)]
    data = data.reshape(split).transpose([2 * i for i in range(n)] + [2 * i + 1 for i in range(n)])
    return data.transpose(tuple(lay.interline) + tuple(lay.intraline)).ravel()


def set_columns(stream: np.ndarray, per_set: int, space: int, offset: int = 0) -> np.ndarray:
    """Column of every address (indexed by address, ``-1`` if absent) in its SRAM line: its position
    in the iteration order of the Python set SCALE-Sim builds from each ``per_set`` consecutive words
    of ``stream`` (valid addresses in fill order, each once; SCALE-Sim's words are ``address + offset``)."""
    cols = np.full(space, -1, dtype=np.int64)
    for s in range(0, stream.size, per_set):
        chunk = stream[s:s + per_set] + offset
        order = np.fromiter(set(chunk.tolist()), dtype=np.int64, count=chunk.size)
        cols[order - offset] = np.arange(chunk.size, dtype=np.int64)
    return cols
