#!/usr/bin/python3
"""A TCP proxy that adds round-trip time: each direction's bytes are delivered RTT/2 after they arrive.

usage: delay_proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT RTT_MS
The kernel here has no netem, so the bench puts this between a server and nginx. Bandwidth is not limited: bytes
are read as fast as they come and held in a queue until due. Each direction holds at most QUEUE_LIMIT bytes (the
proxy's memory bound; at 100 ms that still passes 1.3 GB/s), beyond which it stops reading until the queue drains,
as a full receive window would. What is due goes to the receiver only while its socket takes it: asyncio's write
buffer (a bytearray, its sent head cut off by a copy of the rest) is held under WRITE_HIGH, else a receiver that reads
at its own pace rather than at once made the proxy copy megabytes per send, costing it five times the CPU it spends on
curl, on a host whose two cores the server under test shares. Prints "ready" once listening.
"""
import asyncio
import collections
import sys

QUEUE_LIMIT = 64 * 1024 * 1024
WRITE_HIGH = 256 * 1024


class Pipe(asyncio.Protocol):
    """One direction's receiving end: queues what arrives and writes it to the peer when due."""

    def __init__(self, delay):
        self.delay = delay
        self.transport = None
        self.peer = None  # the Pipe of the other direction, whose transport we write to
        self.queue = collections.deque()
        self.queued = 0
        self.paused = False  # not reading: the queue is full
        self.write_paused = False  # our transport's write buffer is full: the peer holds what is due for us
        self.eof = False
        self.timer = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport):
        self.transport = transport
        transport.set_write_buffer_limits(high=WRITE_HIGH)

    def data_received(self, data):
        self.queue.append((self.loop.time() + self.delay, data))
        self.queued += len(data)
        if len(self.queue) == 1:
            self.schedule()
        if self.queued > QUEUE_LIMIT and not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def pause_writing(self):
        self.write_paused = True

    def resume_writing(self):
        self.write_paused = False
        if self.peer is not None:
            self.peer.schedule()

    def schedule(self):
        """Delivers the queue's head when due, unless the peer's socket is full (its resume_writing calls this again)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.queue and not (self.peer is not None and self.peer.write_paused):
            self.timer = self.loop.call_at(self.queue[0][0], self.deliver)

    def deliver(self):
        self.timer = None
        if self.peer is None:  # the upstream connection is not up yet
            self.timer = self.loop.call_later(0.001, self.deliver)
            return
        now = self.loop.time()
        while self.queue and self.queue[0][0] <= now and not self.peer.write_paused:
            _, data = self.queue.popleft()
            self.queued -= len(data)
            if self.peer.transport is not None and not self.peer.transport.is_closing():
                self.peer.transport.write(data)
        self.schedule()
        if not self.queue:
            self.finish()
        if self.paused and self.queued <= QUEUE_LIMIT // 2:
            self.paused = False
            self.transport.resume_reading()

    def finish(self):
        if self.peer is not None and self.eof and not self.queue and self.peer.transport is not None and not self.peer.transport.is_closing():
            if self.peer.transport.can_write_eof():
                self.peer.transport.write_eof()
            else:
                self.peer.transport.close()

    def eof_received(self):
        self.eof = True
        # Deliver the end of stream after the bytes before it, with the same delay.
        self.loop.call_later(self.delay, self.finish)
        return True

    def connection_lost(self, exc):
        self.loop.call_later(self.delay, self.close_peer)

    def close_peer(self):
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()


async def main():
    listen_port, host, port, rtt_ms = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    delay = rtt_ms / 2000
    loop = asyncio.get_running_loop()

    def client_factory():
        client = Pipe(delay)

        async def connect():
            try:
                _, upstream = await loop.create_connection(lambda: Pipe(delay), host, port)
            except OSError:
                client.transport.close()
                return
            upstream.peer, client.peer = client, upstream
            # Bytes the client sent before the upstream was connected are in client.queue; they go out when due.

        loop.create_task(connect())
        return client

    server = await loop.create_server(client_factory, "127.0.0.1", listen_port, backlog=256)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
