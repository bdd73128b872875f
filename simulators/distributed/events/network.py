"""Message passing between NPUs (``CommonNetworkApi``): sends and receives matched by tag, peers and size.

A receive posted before its message arrives completes on arrival; one posted after completes at once
(scheduled with no delay). The congestion-unaware delay is :meth:`Network.send_ns` of the lowest
differing dimension.
"""

from __future__ import annotations

from archgym.simulators.distributed.network import Network


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
        key = self._id(self._send_ids, (tag, src, dst, size))
        self._entries.setdefault(key, [None, False])
        self.queue.schedule(self.delay_ns(src, dst, size), self._arrive, key)

    def _arrive(self, key):
        entry = self._entries[key]
        if entry[0] is not None:
            del self._entries[key]
            entry[0]()
        else:
            entry[1] = True

    def recv(self, dst: int, src: int, tag: int, size: int, callback):
        key = self._id(self._recv_ids, (tag, src, dst, size))
        entry = self._entries.get(key)
        if entry is not None and entry[1]:
            del self._entries[key]
            self.queue.schedule(0, lambda _: callback())
        elif entry is not None:
            entry[0] = callback
        else:
            self._entries[key] = [callback, False]
