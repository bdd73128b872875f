"""Time of one chunk's phase in one logical dimension, per collective algorithm (ASTRA-sim's astraccl).

Every NPU of a ring, direct or halving-doubling phase is in the same position, so one NPU's timeline
is every NPU's. The rules (``Ring.cc``, ``AllToAll.cc``, ``HalvingDoubling.cc``, ``PacketBundle.cc``):
the phase starts with one NPU-to-memory move of ``ed`` (endpoint delay) cycles; every received message
pays ``ed`` again before the algorithm reacts, plus ``r(m)`` (three truncated memory passes) when it
must be reduced; sends cost :meth:`LogicalRing.send_ns`. Sizes are integers divided as the C++ code
divides them. Each function returns ``(duration_ns, final_size_bytes)``.
"""

from __future__ import annotations

from archgym.simulators.distributed.logical import LogicalRing
from archgym.simulators.distributed.system import SystemConfig


def ring_phase(comm: str, ring: LogicalRing, d: int, sysc: SystemConfig) -> tuple[int, int]:
    """``Ring.cc``: one message at a time to the ring neighbour."""
    n, ed = ring.size, sysc.endpoint_delay
    if comm == "AllGather":
        return ed + (n - 1) * (ring.send_ns(d, 1) + ed), d * n
    m = d // n
    s = ring.send_ns(m, 1)
    if comm == "AllReduce":  # 2(n-1) messages, the first n-1 receives reduced
        return ed + 2 * (n - 1) * (s + ed) + (n - 1) * sysc.reduction_ns(m), d
    if comm == "ReduceScatter":
        return ed + (n - 1) * (s + ed + sysc.reduction_ns(m)), d // n
    if comm == "AllToAll":  # n(n-1)/2 messages relayed round the ring, none reduced
        return ed + n * (n - 1) // 2 * (s + ed), d
    raise ValueError(f"ring: unknown collective {comm!r}")


def direct_phase(comm: str, ring: LogicalRing, d: int, sysc: SystemConfig) -> tuple[int, int]:
    """``AllToAll.cc`` (direct): every peer at once; receives are handled in parallel."""
    n, ed = ring.size, sysc.endpoint_delay
    window = ring.impl.window
    if window != -1 and window < n - 1:
        raise NotImplementedError(f"direct with a window of {window} < {n - 1} peers has no closed form: use the event-level model")
    m = d if comm == "AllGather" else d // n
    sends = [ring.send_ns(m, k) for k in range(1, n)]
    if comm in ("AllGather", "AllToAll"):
        return 2 * ed + max(sends), (d * n if comm == "AllGather" else d)
    red = sysc.reduction_ns(m)
    if comm == "ReduceScatter":
        return 2 * ed + max(sends) + red, d // n
    if comm == "AllReduce":
        return _direct_allreduce(n, ed, red, sends), d
    raise ValueError(f"direct: unknown collective {comm!r}")


def _direct_allreduce(n: int, ed: int, red: int, sends: list[int]) -> int:
    """Two rounds of n-1 messages; the second round leaves only once every first-round message has arrived.

    ``AllToAll::run``: a memory-bus completion (``General``) frees one packet slot; while fewer than n-1
    messages have been received it sends nothing, afterwards it sends as many as slots are free. The
    j-th packet queued for the second round goes to the peer j places along (receivers rotate), so it
    is received from the peer j places back, ``sends[j-1]`` after it left.
    """
    arrivals = sorted(ed + s for s in sends)  # round 1: all leave at ed
    last = arrivals[-1]
    generals = sorted(a + ed + red for a in arrivals)
    free, sent, leave = 0, 0, []
    for g in generals:
        free += 1
        if g < last:
            continue
        while free > 0 and sent < n - 1:
            leave.append(g)
            free -= 1
            sent += 1
    return max(t + s + ed for t, s in zip(leave, sends))


def _halvings(d: int, steps: int) -> list[int]:
    out, m = [], d
    for _ in range(steps):
        m //= 2
        out.append(m)
    return out


def halving_doubling_phase(comm: str, ring: LogicalRing, d: int, sysc: SystemConfig) -> tuple[int, int]:
    """``HalvingDoubling.cc``: log2(n) steps with partners 1, 2, 4, ... places away (AllGather: n/2, ..., 1)."""
    n, ed = ring.size, sysc.endpoint_delay
    steps = n.bit_length() - 1
    if n != 1 << steps:
        raise NotImplementedError(f"halvingDoubling on {n} NPUs: only powers of two are modelled")
    if comm == "AllToAll":
        raise ValueError("halvingDoubling does not implement AllToAll (ASTRA-sim exits: 'unknown communication type for "
                         "HalvingDoubling collective algorithm')")
    if comm == "AllGather":
        t = ed + sum(ring.send_ns(d << k, n >> (k + 1)) + ed for k in range(steps))
        return t, d * n
    sizes = _halvings(d, steps)  # d/2, d/4, ..., d/n by repeated integer halving
    # the reduction after step k's receive is charged on the next (halved) size; the last receive is not reduced
    t = ed + sum(ring.send_ns(m, 1 << k) + ed for k, m in enumerate(sizes)) + sum(sysc.reduction_ns(m) for m in sizes[1:])
    if comm == "ReduceScatter":
        return t, d // n
    if comm == "AllReduce":  # retrace the partners backwards with doubling sizes
        q = (sizes[-1] // 2) * 2
        t += sum(ring.send_ns(q << j, 1 << (steps - 1 - j)) + ed for j in range(steps))
        return t, d
    raise ValueError(f"halvingDoubling: unknown collective {comm!r}")


PHASES = {"ring": ring_phase, "direct": direct_phase, "halvingDoubling": halving_doubling_phase}


def phase_ns(comm: str, ring: LogicalRing, d: int, sysc: SystemConfig) -> tuple[int, int]:
    """Duration and output size of one chunk's ``comm`` phase of ``d`` bytes on ``ring``."""
    fn = PHASES.get(ring.impl.base)
    if fn is None:
        raise NotImplementedError(f"{ring.impl.name}: the per-NPU-symmetric model does not cover it")
    return fn(comm, ring, d, sysc)
