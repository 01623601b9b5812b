#!/usr/bin/env python3
"""Resident memory of `serve` under hostile and busy NBD clients; run on demand, prints figures (not a test).

bench/nbd/memory.py [--serve 'dotnet VirtualMedia.Service/bin/Release/net10.0/VirtualMedia.Service.dll'] [SCENARIO...]
Scenarios: abandon:N (N clients send 8 reads of 32 MiB each and hang up), readers:N (N clients read 8 MiB each,
8 pipelined 1 MiB reads), deaf:N (N clients send 8 reads of 32 MiB each and never read a reply, for 3 s).
Each scenario gets a fresh server exporting a sparse 1 GiB file; it prints the peak (VmHWM) and the resident size
once the clients are gone and the server has settled for 2 s.
"""
import argparse, os, shlex, socket, struct, subprocess, sys, tempfile, threading, time

MIB = 1 << 20


def status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    return 0


def recv_exactly(sock, count):
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(min(count - len(data), 4 * MIB))
        if not chunk:
            raise EOFError("server closed")
        data += chunk
    return bytes(data)


def connect(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    recv_exactly(sock, 18)
    sock.sendall(struct.pack(">I", 3))
    sock.sendall(struct.pack(">QII", 0x49484156454F5054, 7, 6) + struct.pack(">IH", 0, 0))
    while True:  # option replies until ACK
        _, _, kind, length = struct.unpack(">QIII", recv_exactly(sock, 20))
        recv_exactly(sock, length)
        if kind == 1:
            return sock


def read_request(handle, offset, length):
    return struct.pack(">IHHQQI", 0x25609513, 0, 0, handle, offset, length)


def abandon(path, clients):
    socks = [connect(path) for _ in range(clients)]
    for i, sock in enumerate(socks):
        sock.sendall(b"".join(read_request(r, ((i + r) % 32) * 32 * MIB, 32 * MIB) for r in range(8)))
    for sock in socks:
        sock.close()


def readers(path, clients):
    def one(i):
        sock = connect(path)
        sock.sendall(b"".join(read_request(r, (i * 8 + r) % 1024 * MIB, MIB) for r in range(8)))
        for _ in range(8):
            recv_exactly(sock, 16 + MIB)
        sock.close()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def deaf(path, clients):
    socks = [connect(path) for _ in range(clients)]
    for i, sock in enumerate(socks):
        sock.sendall(b"".join(read_request(r, ((i + r) % 32) * 32 * MIB, 32 * MIB) for r in range(8)))
    time.sleep(3)
    return socks


def run(serve, scenario, count, work):
    sock_path = os.path.join(work, "run", "nbd.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    server = subprocess.Popen(
        serve + ["serve", "file://" + os.path.join(work, "disk.img"), "--image-dir", work, "--socket", sock_path],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if os.path.exists(sock_path):
                break
            time.sleep(0.1)
        idle = status(server.pid, "VmRSS")
        held = {"abandon": abandon, "readers": readers, "deaf": deaf}[scenario](sock_path, count)
        during = status(server.pid, "VmRSS")
        for sock in held or []:
            sock.close()
        time.sleep(2)
        print(f"{scenario}:{count:<4} idle {idle:5} MiB  with clients {during:5} MiB  peak {status(server.pid, 'VmHWM'):5} MiB"
              f"  after {status(server.pid, 'VmRSS'):5} MiB", flush=True)
    finally:
        server.terminate()
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", default="dotnet VirtualMedia.Service/bin/Release/net10.0/VirtualMedia.Service.dll")
    parser.add_argument("scenarios", nargs="*", default=["abandon:5", "abandon:80", "readers:64", "deaf:4"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vm-memory-") as work:
        os.chmod(work, 0o700)
        os.mkdir(os.path.join(work, "run"), 0o700)
        with open(os.path.join(work, "disk.img"), "wb") as image:
            image.truncate(1 << 30)
        for scenario in args.scenarios:
            name, count = scenario.split(":")
            run(shlex.split(args.serve), name, int(count), work)


if __name__ == "__main__":
    sys.exit(main())
