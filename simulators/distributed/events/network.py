"""Message passing between NPUs (``CommonNetworkApi``): sends and receives matched by tag, peers and size.

A receive posted before its message arrives completes on arrival; one posted after completes at once
(scheduled with no delay). The congestion-unaware delay is :meth:`Network.send_ns` of the lowest
differing dimension.
"""

from __future__ import annotations

from heapq import heappush as _push

from archgym.simulators.distributed.network import Network, require_one_dimension


class UnawareNetwork:
    """The congestion-unaware backend: each message arrives ``network.send_ns`` after it is sent."""

    def __init__(self, network: Network, queue):
        self.network = network
        self.queue = queue
        self._send_ids: dict = {}
        self._recv_ids: dict = {}
        self._entries: dict = {}  # key -> [receive callback or None, arrived]
        self._delay: dict = {}

    def _id(self, table, key):
        n = table.get(key, 0)
        table[key] = n + 1
        return key + (n,)

    def delay_ns(self, src: int, dst: int, size: int) -> int:
        key = (src, dst, size)
        d = self._delay.get(key)
        if d is None:
            d = self._delay[key] = self.network.send_ns(src, dst, size)
        return d

    def send(self, src: int, dst: int, tag: int, size: int):
        k = (tag, src, dst, size)
        n = self._send_ids.get(k, 0)
        self._send_ids[k] = n + 1
        key = (tag, src, dst, size, n)
        entries = self._entries
        if key not in entries:
            entries[key] = [None, False]
        d = self._delay.get((src, dst, size))
        if d is None:
            d = self.delay_ns(src, dst, size)
        self.queue.schedule(d, self._arrive, key)

    def _arrive(self, key):
        entry = self._entries[key]
        if entry[0] is not None:
            del self._entries[key]
            entry[0]()
        else:
            entry[1] = True

    def recv(self, dst: int, src: int, tag: int, size: int, callback):
        k = (tag, src, dst, size)
        n = self._recv_ids.get(k, 0)
        self._recv_ids[k] = n + 1
        key = (tag, src, dst, size, n)
        entries = self._entries
        entry = entries.get(key)
        if entry is not None and entry[1]:
            del entries[key]
            self.queue.schedule(0, _call, callback)
        elif entry is not None:
            entry[0] = callback
        else:
            entries[key] = [callback, False]


def _call(callback):
    callback()


#: (topology, npus, src, dst) -> the links of the route, shared by every simulation; link (a, b) is ``a * (npus + 1) + b``
#: (device ``npus`` is the switch)
_ROUTES: dict = {}


def _route_links(topo: str, n: int, src: int, dst: int) -> tuple:
    key = (topo, n, src, dst)
    r = _ROUTES.get(key)
    if r is None:
        if topo == "Switch":
            path = [src, n, dst]
        elif topo == "FullyConnected":
            path = [src, dst]
        else:
            cw = (dst - src) % n
            step = -1 if n - cw < cw else 1
            path, cur = [src], src
            while cur != dst:
                cur = (cur + step) % n
                path.append(cur)
        r = _ROUTES[key] = tuple(a * (n + 1) + b for a, b in zip(path, path[1:]))  # link (a, b) as one index
    return r


class AwareNetwork(UnawareNetwork):
    """The congestion-aware backend (1-D only, as ASTRA-sim's): store-and-forward, first-in first-out per link.

    Links (``basic-topology/*.cpp``): Ring, one link each way between neighbours, routed the shorter way
    (clockwise on a tie); Switch, a link each way between every NPU and the switch; FullyConnected, one
    link per ordered pair of NPUs. Every link has the dimension's bandwidth and latency (``Link.cpp``): a
    chunk holds it for ``floor(m / B)`` and reaches the next device ``floor(lat + m / B)`` after it starts.
    """

    def __init__(self, network: Network, queue):
        super().__init__(network, queue)
        self.dim = require_one_dimension(network)
        self.bw = self.dim.bandwidth_Bpns
        self.latency = float(self.dim.latency_ns)
        n = self.dim.npus + 1
        self.free_at = [0] * (n * n)  # per link: when its last chunk's serialization ends

    def route(self, src: int, dst: int) -> list[int]:
        """The devices a message passes (the switch is device ``npus``)."""
        n = self.dim.npus + 1
        return [src, *(link % n for link in _route_links(self.dim.topology, self.dim.npus, src, dst))]

    def send(self, src: int, dst: int, tag: int, size: int):
        k = (tag, src, dst, size)
        n = self._send_ids.get(k, 0)
        self._send_ids[k] = n + 1
        key = (tag, src, dst, size, n)
        entries = self._entries
        if key not in entries:
            entries[key] = [None, False]
        links = _ROUTES.get((self.dim.topology, self.dim.npus, src, dst))
        if links is None:
            links = _route_links(self.dim.topology, self.dim.npus, src, dst)
        self._forward([links, 0, float(size), key])

    def _forward(self, chunk):
        """Queue first-in first-out on the next link: start when it is free, hold it ``floor(m/B)``, arrive ``floor(lat+m/B)`` later.

        The same start times as ``Link.cpp``'s busy flag, pending list and link-free events, without those
        events: a chunk starts at the later of its arrival and the end of the previous chunk's
        serialization. (Its arrival event is queued earlier than ASTRA-sim queues it, which could only
        reorder events of one nanosecond; all 252 congestion-aware reference rows agree exactly.)
        """
        link = chunk[0][chunk[1]]
        q = self.queue
        now = q.now
        free_at = self.free_at
        free = free_at[link]
        start = free if free > now else now
        t = chunk[2] / self.bw
        free_at[link] = start + int(t)
        q._seq = seq = q._seq + 1
        _push(q._heap, (start + int(self.latency + t), seq, self._hop, chunk))

    def _hop(self, chunk):
        pos = chunk[1] = chunk[1] + 1
        links = chunk[0]
        if pos == len(links):
            self._arrive(chunk[3])
            return
        link = links[pos]  # _forward, inline
        q = self.queue
        now = q.now
        free_at = self.free_at
        free = free_at[link]
        start = free if free > now else now
        t = chunk[2] / self.bw
        free_at[link] = start + int(t)
        q._seq = seq = q._seq + 1
        _push(q._heap, (start + int(self.latency + t), seq, self._hop, chunk))
