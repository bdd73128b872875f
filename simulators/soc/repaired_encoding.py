"""SoC-v1's reading of the limited FARSI encoding: the same fields, with three repair rules, so that most designs run.

In ArchGym's limited encoding (:mod:`.limited_encoding`) almost no uniformly random design runs (13 of
3,000 for ``audio_decoder``): a memory named by two buses, a task mapped to an accelerator built for
another task, or a task whose PE cannot reach the memory that holds its output each make the design
unbuildable. SoC-v1 reads every design vector as a buildable system wherever one obvious fix exists:

1. a memory named by several buses sits on the lowest-numbered of them (the others hold no memory);
2. a task mapped to a PE that cannot run it runs on the lowest-numbered PE that can (an A53, or the
   accelerator built for that task);
3. a task's output placed in a memory its PE cannot reach (no path of buses) goes to the
   lowest-numbered memory that PE reaches.

What stays infeasible: a task that no PE can run (every PE is an accelerator for another task), a PE
with no memory in reach, and a task that cannot read its input from where its producer wrote it (the
two sit on buses with no path between them; fixing that would move a producer). Every repaired design
is a design of the v0 space, simulated by the same model, so v1's figures are v0's.
"""

from __future__ import annotations

import numpy as np

from .limited_encoding import SLOTS, LimitedEncoding

#: no repair possible: (reason code, task index)
NO_PE, NO_MEMORY = 1, 2


def repair_rows(enc: LimitedEncoding, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(repaired rows, reason code per row (0: repaired or unchanged), task index of the reason)``."""
    rows = np.array(rows, dtype=np.int64, copy=True)
    n_t = len(enc.tasks)
    ip_task = enc._type_arrays[4]
    code = np.zeros(len(rows), dtype=np.int64)
    where = np.full(len(rows), -1, dtype=np.int64)
    for d, r in enumerate(rows):
        seen = set()
        for i in range(SLOTS):  # rule 1
            j = int(r[15 + i])
            if j >= 0:
                if j in seen:
                    r[15 + i] = -1
                seen.add(j)
        group = list(range(SLOTS))  # buses linked to each other form one group

        def root(x: int, group: list[int] = group) -> int:
            while group[x] != x:
                x = group[x]
            return x

        for i in range(SLOTS):
            j = int(r[12 + i])
            if j >= 0 and j != i:
                group[root(i)] = root(j)
        pe_group = [root(int(r[9 + s])) for s in range(SLOTS)]
        mem_group = {int(r[15 + i]): root(i) for i in range(SLOTS) if r[15 + i] >= 0}
        for t in range(n_t):
            s = int(r[18 + t])
            if ip_task[r[s]] not in (-1, t):  # rule 2
                able = [x for x in range(SLOTS) if ip_task[r[x]] in (-1, t)]
                if not able:
                    code[d], where[d] = NO_PE, t
                    break
                s = r[18 + t] = able[0]
            m = int(r[18 + n_t + t])
            if mem_group.get(m) != pe_group[s]:  # rule 3
                reach = [x for x in range(SLOTS) if mem_group.get(x) == pe_group[s]]
                if not reach:
                    code[d], where[d] = NO_MEMORY, t
                    break
                r[18 + n_t + t] = reach[0]
    return rows, code, where


def explain(enc: LimitedEncoding, code: int, task: int) -> str:
    name = enc.tasks[task]
    if code == NO_PE:
        return f"no PE can run task {name!r}: every PE is an accelerator built for another task"
    return f"the PE of task {name!r} reaches no memory (no memory on its group of buses)"
