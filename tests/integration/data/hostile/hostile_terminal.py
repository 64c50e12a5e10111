#!/usr/bin/python3
"""A hostile terminal for the rig's hardening tests (docs/reliability.md).

It makes a pty, links its slave at --ecr-link (as vterm does), prints a READY line and then
misbehaves on the ECR link and on its control port:

  --flood acks     stray ACK bytes as fast as the link takes them
  --flood random   random bytes
  --flood frames   valid-looking RIG-ECR frames (DISPLAY, good LRC, new seq each)
  --flood none     answers nothing (a terminal that never replies)
  --control-mode hang     the control port accepts and never answers
  --control-mode garbage  the control port answers with bytes that are not UTF-8
  --control-mode ok       {"ok": true} to every line

Everything the rig writes to the link is read and thrown away (in the loop that floods), so that
the rig never waits for room to write its ACKs and NAKs.
Standard library only.
"""
import argparse
import os
import random
import select
import socket
import sys
import threading
import time
import tty


def lrc(payload: bytes) -> int:
    v = 0x03
    for b in payload:
        v ^= b
    return v


def frame(payload: bytes) -> bytes:
    return b"\x02" + payload + b"\x03" + bytes([lrc(payload)])


def serve_control(sock: socket.socket, mode: str) -> None:
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=control_conn, args=(conn, mode), daemon=True).start()


def control_conn(conn: socket.socket, mode: str) -> None:
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:
            return
        if mode == "hang":
            continue
        buf += data
        while b"\n" in buf:
            _, buf = buf.split(b"\n", 1)
            if mode == "garbage":
                conn.sendall(b'{"ok": true, "text": "\xff\xfe\xc3\x28"}\n')
            else:
                conn.sendall(b'{"ok": true}\n')


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ecr-link", required=True)
    ap.add_argument("--flood", default="none", choices=["acks", "random", "frames", "none"])
    ap.add_argument("--control", default="127.0.0.1:0")
    ap.add_argument("--control-mode", default="ok", choices=["hang", "garbage", "ok"])
    ap.add_argument("--ready-extra", default="")
    args = ap.parse_args()

    master, slave = os.openpty()
    tty.setraw(slave)
    tty.setraw(master)
    slave_path = os.ttyname(slave)
    try:
        os.unlink(args.ecr_link)
    except FileNotFoundError:
        pass
    os.symlink(slave_path, args.ecr_link)

    host, port = args.control.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, int(port)))
    sock.listen(8)
    threading.Thread(target=serve_control, args=(sock, args.control_mode), daemon=True).start()
    control = "%s:%d" % sock.getsockname()

    extra = (" " + args.ready_extra) if args.ready_extra else ""
    print("READY ecr=%s control=%s%s" % (args.ecr_link, control, extra), flush=True)

    rnd = random.Random(1)
    seq = 1
    pending = b""
    os.set_blocking(master, False)
    # One loop reads what the rig writes and floods: a drain thread could be starved of the
    # GIL by the flooding loop, and then the rig's NAKs would wait for room (a different test).
    while True:
        if not pending and args.flood != "none":
            if args.flood == "acks":
                pending = b"\x06" * 4096
            elif args.flood == "random":
                pending = rnd.randbytes(4096)
            else:
                parts = []
                for _ in range(32):
                    parts.append(frame(b"DISPLAY\x1ctext=HELLO %d\x1cseq=%d" % (seq, seq % 9999 + 1)))
                    seq += 1
                pending = b"".join(parts)
        readable, writable, _ = select.select([master], [master] if pending else [], [], 1.0)
        if readable:
            try:
                os.read(master, 65536)
            except OSError:
                time.sleep(0.01)
        if writable and pending:
            try:
                pending = pending[os.write(master, pending):]
            except BlockingIOError:
                pass
            except OSError:
                time.sleep(0.01)


if __name__ == "__main__":
    sys.exit(main())
