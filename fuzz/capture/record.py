#!/usr/bin/env python3
"""A unix-socket proxy that records real traffic for the fuzz corpora.

record.py LISTEN UPSTREAM OUTDIR: every connection to LISTEN is relayed to UPSTREAM; what the client sent is
written to OUTDIR/N.c2s and what the server sent to OUTDIR/N.s2c. Unix fds are not relayed (seeds need bytes only).
Stops on SIGTERM.
"""
import os
import selectors
import socket
import sys
import threading

listen_path, upstream_path, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)


def relay(index, client):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.connect(upstream_path)
    logs = {client: open(f"{out}/{index}.c2s", "wb"), server: open(f"{out}/{index}.s2c", "wb")}
    peer = {client: server, server: client}
    sel = selectors.DefaultSelector()
    for s in (client, server):
        sel.register(s, selectors.EVENT_READ)
    open_ends = 2
    while open_ends:
        for key, _ in sel.select():
            try:
                data = key.fileobj.recv(65536)
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fileobj)
                try:
                    peer[key.fileobj].shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                open_ends -= 1
                continue
            logs[key.fileobj].write(data)
            try:
                peer[key.fileobj].sendall(data)
            except OSError:
                pass  # the other side hung up first (nbdinfo does): what was sent is recorded all the same
    for f in logs.values():
        f.close()
    client.close()
    server.close()


listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(listen_path)
listener.listen(16)
count = 0
while True:
    connection, _ = listener.accept()
    threading.Thread(target=relay, args=(count, connection), daemon=True).start()
    count += 1
