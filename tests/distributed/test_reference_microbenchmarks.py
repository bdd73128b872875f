"""The model against every single-collective row of the real ASTRA-sim 2.x, on both analytical backends.

Tolerance: exact, ``model == reference`` in ns, for every row of a group. The reference figures are
ASTRA-sim's own output (``tests/reference/astrasim/``); the model never sees them. NPU 0's finish time,
the minimum and maximum over NPUs and (doubleBinaryTree) every NPU's value are compared.
"""

from __future__ import annotations

import csv
import warnings
from collections import defaultdict
from pathlib import Path

import pytest

from archgym.simulators.distributed.collective import collective_from_files

REF = Path(__file__).resolve().parents[1] / "reference" / "astrasim"
with open(REF / "astrasim_reference.csv", newline="") as f:
    ROWS = list(csv.DictReader(f))
BACKENDS = ("congestion_unaware", "congestion_aware")


def not_yet(row) -> str:
    """Why a row is not in the exact tests yet ('' if it is): every microbenchmark row is in."""
    return ""


def by_group():
    groups = defaultdict(list)
    for r in ROWS:
        if r["kind"] == "microbenchmark":
            groups[(r["backend"], r["group"])].append(r)
    return groups


GROUPS = by_group()


def run(row) -> list[int]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. boost-mode, which ASTRA-sim does not read
        return collective_from_files(REF / "inputs" / row["network_config"], REF / "inputs" / row["system_config"],
                                     row["collective"], int(float(row["msg_size_bytes"])),
                                     num_queues_per_dim=int(row["num_queues_per_dim"]), backend=row["backend"])


@pytest.mark.parametrize("backend, group", sorted(GROUPS), ids=[f"{b}-{g}" for b, g in sorted(GROUPS)])
def test_group_exact_ns(backend, group):
    rows = [r for r in GROUPS[(backend, group)] if not not_yet(r)]
    if not rows:
        pytest.skip(f"no row of {group} is modelled yet")
    misses = []
    for r in rows:
        got = run(r)
        want = (int(r["finish_ns_npu0"]), int(r["finish_ns_min"]), int(r["finish_ns_max"]))
        have = (got[0], min(got), max(got))
        per = [int(x) for x in r["finish_ns_per_npu"].split(";")] if r["finish_ns_per_npu"] else None
        if have != want or (per is not None and per != got):
            misses.append(f"{r['case_id']} {r['collective']} {r['msg_size_bytes']}B {r['topology']} {r['npus_per_dim']} "
                          f"{r['impl_under_test']}: model (npu0, min, max) {have} ns, ASTRA-sim {want} ns"
                          + (f"; per NPU model {got}, ASTRA-sim {per}" if per is not None and per != got else ""))
    assert not misses, f"{len(misses)}/{len(rows)} rows of {backend} {group} not exact (tolerance: == in ns):\n" + "\n".join(misses)


def test_every_microbenchmark_row_is_tested():
    counts = defaultdict(int)
    for (backend, _), rows in GROUPS.items():
        counts[backend] += len(rows)
    assert dict(counts) == {"congestion_unaware": 614, "congestion_aware": 252}
    assert not [r for v in GROUPS.values() for r in v if not_yet(r)]
