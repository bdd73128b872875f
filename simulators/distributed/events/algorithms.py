"""The collective algorithms as per-NPU state machines (ASTRA-sim's ``astraccl/native_collectives``).

Each reacts to three events: ``init`` (the stream starts the phase), ``received`` (a message it posted
a receive for has arrived) and ``general`` (a memory-bus bundle it released is done). Ring, direct and
halving-doubling share the packet bookkeeping of ``Ring.cc`` (zero- and non-zero-latency packets, a
toggle that decides which receives are reduced, one bundle released per inserted packet);
doubleBinaryTree follows the states of ``DoubleBinaryTreeAllReduce.cc``.
"""

from __future__ import annotations

from collections import deque
from functools import partial


class RingView:
    """The members of one NPU's logical ring: ``size`` NPUs ``stride`` apart, in coordinate order."""

    def __init__(self, npu_id: int, size: int, stride: int):
        self.size, self.stride = size, stride
        self.index = (npu_id // stride) % size
        self.base = npu_id - self.index * stride

    def member(self, index: int) -> int:
        return self.base + (index % self.size) * self.stride

    def index_of(self, npu_id: int) -> int:
        return (npu_id - self.base) // self.stride

    def receiver(self, npu_id: int, clockwise: bool) -> int:
        base, stride = self.base, self.stride
        return base + (((npu_id - base) // stride + (1 if clockwise else -1)) % self.size) * stride

    def sender(self, npu_id: int, clockwise: bool) -> int:
        base, stride = self.base, self.stride
        return base + (((npu_id - base) // stride + (-1 if clockwise else 1)) % self.size) * stride


class RingAlgorithm:
    """``Ring.cc``: messages to the ring neighbour, one at a time."""

    def __init__(self, npu, stream, comm: str, view: RingView, size: int, clockwise: bool):
        n = view.size
        self.npu, self.stream, self.comm, self.view, self.clockwise = npu, stream, comm, view, clockwise
        self.id = npu.id
        self.n = n
        self.parallel_reduce = 1
        self.stream_count = {"AllReduce": 2 * (n - 1), "AllToAll": (n - 1) * n // 2}.get(comm, n - 1)
        self.msg_size = size if comm == "AllGather" else size // n
        self.curr_receiver = view.receiver(self.id, clockwise)
        self.curr_sender = view.sender(self.id, clockwise)
        self.packets: deque = deque()
        self.free_packets = 0
        self.zero = 0
        self.non_zero = 0
        self.toggle = False
        self.processed = False
        self.remained_per_message = 1
        self.total_received = 0

    def non_zero_latency_packets(self) -> int:
        return (self.n - 1) * self.parallel_reduce

    # events
    def init(self):
        for _ in range(self.parallel_reduce):
            self.insert_packet()

    def received(self):
        self.total_received += 1
        self.insert_packet()

    def general(self):
        self.free_packets += 1
        self.ready()
        self.iteratable()

    # bookkeeping
    def packet_size(self) -> int:
        return self.msg_size

    def insert_packet(self):
        zero, non_zero = self.zero, self.non_zero
        if zero == 0 and non_zero == 0:
            zero = self.parallel_reduce
            non_zero = self.non_zero_latency_packets()
            self.toggle = not self.toggle
        if zero > 0:
            self.processed = False  # NPU-to-memory move: the same endpoint delay as the way back
            zero -= 1
        elif non_zero > 0:
            comm = self.comm
            self.processed = comm == "ReduceScatter" or (comm == "AllReduce" and self.toggle)
            non_zero -= 1
        else:
            raise RuntimeError("should not inject nothing")
        self.zero, self.non_zero = zero, non_zero
        self.packets.append((self.curr_receiver, self.curr_sender, self.packet_size()))
        self.process_max_count()

    def process_max_count(self):
        self.release_packets()

    def release_packets(self):
        npu, stream = self.npu, self.stream  # npu.bundle(stream, processed, msg_size), inline
        npu.register(partial(npu._reduce, stream, self.msg_size) if self.processed else stream.general, npu.endpoint_delay)

    def ready(self) -> bool:
        packets = self.packets
        count = self.stream_count
        if not packets or count == 0 or self.free_packets == 0:
            return False
        dst, src, size = packets.popleft()
        net, tag, me = self.npu.net, self.stream.id, self.id
        net.send(me, dst, tag, size)
        net.recv(me, src, tag, size, self.received)
        remained = self.remained_per_message
        if remained > 0:
            remained -= 1
        if remained == 0 and count > 0:
            count -= 1
            self.stream_count = count
            if count > 0:
                remained = 1
        self.remained_per_message = remained
        self.free_packets -= 1
        return True

    def iteratable(self):
        if self.stream_count == 0 and self.free_packets == self.parallel_reduce:
            self.packets.clear()
            self.npu.proceed(self.stream)


class DirectAlgorithm(RingAlgorithm):
    """``AllToAll.cc`` (direct): all peers at once; an AllReduce's second round waits for the whole first round."""

    def __init__(self, npu, stream, comm, view, size, clockwise, window: int = -1):
        super().__init__(npu, stream, comm, view, size, clockwise)
        self.middle_point = self.n - 1
        self.parallel_reduce = self.n - 1 if window == -1 else min(window, self.n - 1)
        if comm == "AllToAll":
            self.stream_count = self.n - 1

    def non_zero_latency_packets(self) -> int:
        return self.parallel_reduce

    def general(self):
        self.free_packets += 1
        if self.comm == "AllReduce" and self.stream_count <= self.middle_point:
            if self.total_received < self.middle_point:
                return
            for _ in range(self.parallel_reduce):
                if not self.ready():  # nothing changes when nothing is sent: the remaining calls would fail too
                    break
        else:
            self.ready()
        self.iteratable()

    def process_max_count(self):
        npu = self.npu
        stream = self.stream  # release_packets, inline
        npu.register(partial(npu._reduce, stream, self.msg_size) if self.processed else stream.general, npu.endpoint_delay)
        v, me = self.view, self.id
        base, stride, n = v.base, v.stride, v.size
        step = 1 if self.clockwise else -1  # receiver: one place on, sender: one place back
        r = base + (((self.curr_receiver - base) // stride + step) % n) * stride
        if r == me:
            r = base + (((r - base) // stride + step) % n) * stride
        s = base + (((self.curr_sender - base) // stride - step) % n) * stride
        if s == me:
            s = base + (((s - base) // stride - step) % n) * stride
        self.curr_receiver, self.curr_sender = r, s


class HalvingDoublingAlgorithm(RingAlgorithm):
    """``HalvingDoubling.cc``: partners 1, 2, 4, ... places away (AllGather: n/2, ..., 1), sizes halving then doubling."""

    def __init__(self, npu, stream, comm, view, size, clockwise):
        super().__init__(npu, stream, comm, view, size, clockwise)
        n = self.n
        steps = n.bit_length() - 1
        self.steps = steps
        self.stream_count = 2 * steps if comm == "AllReduce" else steps
        if comm == "AllGather":
            self.msg_size, self.rank_offset, self.multiplier = size, n // 2, 0.5
        else:
            self.msg_size, self.rank_offset, self.multiplier = size // 2, 1, 2.0
        self._aim()

    def non_zero_latency_packets(self) -> int:
        return self.steps - 1

    def _aim(self):
        v = self.view
        off = self.rank_offset
        if off == 0:
            cw = True
        else:
            cw = (v.index // off) % 2 == 0
        # ``off`` times ``v.receiver(r, cw)`` from this NPU, at once
        r = v.base + ((v.index + (off if cw else -off)) % v.size) * v.stride
        self.curr_receiver = self.curr_sender = r

    def process_max_count(self):
        self.release_packets()
        self.rank_offset = int(self.rank_offset * self.multiplier)
        self.msg_size = int(self.msg_size / self.multiplier)
        if self.rank_offset == self.n and self.comm == "AllReduce":
            self.multiplier = 0.5
            self.rank_offset = int(self.rank_offset * self.multiplier)
            self.msg_size = int(self.msg_size / self.multiplier)
        self._aim()


class TreeNode:
    __slots__ = ("parent", "left", "right", "id")

    def __init__(self, parent):
        self.parent, self.left, self.right, self.id = parent, None, None, -1


def binary_tree(nodes: int, start: int, stride: int, root_max: bool) -> dict[int, tuple[int, int, int]]:
    """``BinaryTree.cc``: ``id -> (parent, left, right)`` (-1 for none) of a RootMax or RootMin tree, ids in-order."""
    depth, tmp = 1, nodes
    while tmp > 1:
        depth += 1
        tmp //= 2

    def grow(d, parent):
        t = TreeNode(parent)
        if d > 1:
            t.left, t.right = grow(d - 1, t), grow(d - 1, t)
        return t

    root = TreeNode(None)
    if root_max:
        root.left = grow(depth - 1, root)
    else:
        root.right = grow(depth - 1, root)
    order = []

    def walk(t):
        if t.left:
            walk(t.left)
        order.append(t)
        if t.right:
            walk(t.right)

    walk(root)
    for i, t in enumerate(order):
        t.id = start + i * stride
    ids = lambda t: t.id if t is not None else -1
    return {t.id: (ids(t.parent), ids(t.left), ids(t.right)) for t in order}


class DoubleBinaryTreeAlgorithm:
    """``DoubleBinaryTreeAllReduce.cc``: reduce up the tree, broadcast down; every message is the whole chunk."""

    def __init__(self, npu, stream, tree: dict, size: int):
        self.npu, self.stream, self.size = npu, stream, size
        self.id = npu.id
        self.parent, self.left, self.right = tree[self.id]
        if self.parent == -1:
            self.kind = "root"
        elif self.left == -1 and self.right == -1:
            self.kind = "leaf"
        else:
            self.kind = "intermediate"
        self.state = "begin"
        self.reductions = 0

    def _bundle(self, processed: bool):
        self.npu.bundle(self.stream, processed, self.size)

    def _send(self, dst):
        self.npu.net.send(self.id, dst, self.stream.id, self.size)

    def _recv(self, src):
        self.npu.net.recv(self.id, src, self.stream.id, self.size, self.received)

    def init(self):
        self.run("init")

    def received(self):
        self.run("received")

    def general(self):
        self.run("general")

    def run(self, event: str):
        k, st = self.kind, self.state
        if k == "leaf":
            if st == "begin":
                self._bundle(False)
                self.state = "sending_to_parent"
            elif st == "sending_to_parent":
                self._send(self.parent)
                self._recv(self.parent)
                self.state = "waiting_parent"
            elif st == "waiting_parent":
                self._bundle(False)
                self.state = "end"
            elif st == "end":
                self.npu.proceed(self.stream)
        elif k == "intermediate":
            if st == "begin":
                self.state = "waiting_two"
                self._recv(self.left)
                self._recv(self.right)
            elif st == "waiting_two" and event == "received":
                self._bundle(True)
                self.state = "waiting_one"
            elif st == "waiting_one" and event == "received":
                self._bundle(True)
                self.state = "sending_to_parent"
            elif self.reductions < 1 and event == "general":
                self.reductions += 1
            elif st == "sending_to_parent":
                self.state = "waiting_parent"
                self._send(self.parent)
                self._recv(self.parent)
            elif st == "waiting_parent" and event == "received":
                self._bundle(True)
                self.state = "sending_to_children"
            elif st == "sending_to_children":
                self._send(self.left)
                self._send(self.right)
                self.npu.proceed(self.stream)
        else:
            child = self.left if self.left >= 0 else self.right
            if st == "begin":
                self.state = "waiting_one"
                self._recv(child)
            elif st == "waiting_one":
                self._bundle(True)
                self.state = "sending_to_children"
            elif st == "sending_to_children":
                self._send(child)
                self.npu.proceed(self.stream)
