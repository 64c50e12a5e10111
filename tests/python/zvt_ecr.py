"""A ZVT cash register (ECR) written from the protocol's byte layouts, with the standard library
only: no posrig code. It proves that vterm's ZVT port works for an ECR that is not posrig's own
(tests/python/test_zvt_ecr.py drives it; docs/vterm.md shows how to use it by hand).

Transports: TCP (the APDUs as they are) and a serial line or pty (each APDU in a block
DLE STX apdu DLE ETX crc-low crc-high, DLE doubled; CRC-16 as KERMIT: polynomial 0x1021
reflected (0x8408), initial 0, over the APDU and ETX; answered ACK 06 / NAK 15).

    python3 zvt_ecr.py tcp:127.0.0.1:20007 pay 12.34
    python3 zvt_ecr.py /dev/pts/7 register
"""

import os
import socket
import sys
import termios
import time
import tty

DLE, STX, ETX, ACK, NAK = 0x10, 0x02, 0x03, 0x06, 0x15


def crc_kermit(data: bytes) -> int:
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def apdu(cls: int, ins: int, data: bytes = b"") -> bytes:
    if len(data) < 0xFF:
        return bytes([cls, ins, len(data)]) + data
    return bytes([cls, ins, 0xFF, len(data) & 0xFF, len(data) >> 8]) + data


def bcd(number: int, nbytes: int) -> bytes:
    digits = str(number).rjust(nbytes * 2, "0")
    return bytes(int(digits[i:i + 2], 16) for i in range(0, len(digits), 2))


class Tcp:
    def __init__(self, host: str, port: int, timeout: float):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""

    def send(self, a: bytes):
        self.sock.sendall(a)

    def _need(self, n: int):
        while len(self.buf) < n:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the PT closed the connection")
            self.buf += chunk

    def receive(self) -> bytes:
        self._need(3)
        header, n = 3, self.buf[2]
        if n == 0xFF:
            self._need(5)
            header, n = 5, self.buf[3] | self.buf[4] << 8
        self._need(header + n)
        a, self.buf = self.buf[:header + n], self.buf[header + n:]
        return a

    def close(self):
        self.sock.close()


class Serial:
    """A pty or serial device in raw mode, with the block layer."""

    def __init__(self, path: str, timeout: float):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        termios.tcflush(self.fd, termios.TCIOFLUSH)
        self.timeout = timeout
        self.pending = b""
        self.acks_sent = 0

    def _byte(self) -> int:
        deadline = time.monotonic() + self.timeout
        while not self.pending:
            import select
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no byte from the PT")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                self.pending += os.read(self.fd, 4096)
        b, self.pending = self.pending[0], self.pending[1:]
        return b

    def send(self, a: bytes):
        stuffed = a.replace(bytes([DLE]), bytes([DLE, DLE]))
        crc = crc_kermit(a + bytes([ETX]))
        block = bytes([DLE, STX]) + stuffed + bytes([DLE, ETX, crc & 0xFF, crc >> 8])
        for _ in range(3):
            os.write(self.fd, block)
            answer = self._byte()
            if answer == ACK:
                return
            if answer != NAK:
                raise RuntimeError(f"expected ACK or NAK, got {answer:#04x}")
        raise RuntimeError("block NAKed three times")

    def receive(self) -> bytes:
        # Between blocks, anything but DLE STX is skipped.
        while True:
            if self._byte() == DLE and self._byte() == STX:
                break
        data = bytearray()
        while True:
            b = self._byte()
            if b == DLE:
                b = self._byte()
                if b == ETX:
                    break
                if b != DLE:
                    raise RuntimeError(f"DLE followed by {b:#04x}")
            data.append(b)
        got = self._byte() | self._byte() << 8
        if got != crc_kermit(bytes(data) + bytes([ETX])):
            os.write(self.fd, bytes([NAK]))
            raise RuntimeError("bad CRC from the PT")
        os.write(self.fd, bytes([ACK]))
        self.acks_sent += 1
        return bytes(data)

    def close(self):
        os.close(self.fd)


def connect(spec: str, timeout: float = 20.0):
    if spec.startswith("tcp:"):
        host, port = spec[4:].rsplit(":", 1)
        return Tcp(host, int(port), timeout)
    return Serial(spec, timeout)


def bmps(data: bytes) -> dict:
    """The BMPs a status information carries that this ECR reads; the rest is skipped by its
    length. Returns {bmp: value bytes}."""
    fixed = {0x27: 1, 0x04: 6, 0x0B: 3, 0x0C: 3, 0x0D: 2, 0x0E: 2, 0x17: 2, 0x19: 1, 0x29: 4,
             0x2A: 15, 0x3B: 8, 0x49: 2, 0x87: 2, 0x88: 3, 0x8A: 1, 0x8C: 1, 0xA0: 1, 0xBA: 5}
    llvar, lllvar = {0x22, 0x23, 0x2D, 0x8B}, {0x24, 0x3C, 0x60, 0x9A}
    out, i = {}, 0
    while i < len(data):
        b = data[i]
        i += 1
        if b in fixed:
            n = fixed[b]
        elif b in llvar:
            n = (data[i] & 0x0F) * 10 + (data[i + 1] & 0x0F)
            i += 2
        elif b in lllvar:
            n = (data[i] & 0x0F) * 100 + (data[i + 1] & 0x0F) * 10 + (data[i + 2] & 0x0F)
            i += 3
        elif b == 0x06:
            n = data[i]
            i += 1
            if n == 0x81:
                n, i = data[i], i + 1
            elif n == 0x82:
                n, i = data[i] << 8 | data[i + 1], i + 2
        else:
            raise ValueError(f"BMP {b:#04x} unknown to this ECR")
        out[b] = data[i:i + n]
        i += n
    return out


class Ecr:
    """The ECR's side of the dialogue: a command, the PT's 80 00, then the PT's messages, each
    answered 80 00 00, up to completion 06 0F or abort 06 1E. `log` records every APDU with its
    direction, so that tests can check the order."""

    def __init__(self, transport):
        self.t = transport
        self.log = []

    def _out(self, a: bytes):
        self.log.append(("->", a))
        self.t.send(a)

    def _in(self) -> bytes:
        a = self.t.receive()
        self.log.append(("<-", a))
        return a

    def command(self, a: bytes, on_status=None) -> list:
        """Sends a command; returns the PT's messages up to and including 06 0F or 06 1E."""
        self._out(a)
        reply = self._in()
        if reply[:2] != b"\x80\x00":
            return [reply]  # 84 XX 00: refused
        messages = []
        while True:
            m = self._in()
            self._out(b"\x80\x00\x00")  # the ECR answers every message of the PT
            messages.append(m)
            if on_status and m[:2] == b"\x04\xff":
                on_status(m)
            if m[:2] in (b"\x06\x0f", b"\x06\x1e"):
                return messages

    def register(self, password="000000", config=0x8A, currency=978) -> list:
        # 06 00: password (3 bytes BCD), config byte, currency code (2 bytes BCD).
        data = bytes.fromhex(password) + bytes([config]) + bcd(currency, 2)
        return self.command(apdu(0x06, 0x00, data))

    def pay(self, cents: int, currency=978, on_status=None) -> list:
        # 06 01: BMP 04 amount (6 bytes BCD), BMP 49 currency.
        data = b"\x04" + bcd(cents, 6) + b"\x49" + bcd(currency, 2)
        return self.command(apdu(0x06, 0x01, data), on_status)

    def reverse(self, receipt: int, password="000000") -> list:
        # 06 30: password, BMP 87 receipt number (2 bytes BCD).
        return self.command(apdu(0x06, 0x30, bytes.fromhex(password) + b"\x87" + bcd(receipt, 2)))

    def status(self, password="000000") -> list:
        return self.command(apdu(0x05, 0x01, bytes.fromhex(password)))

    def repeat_receipt(self, password="000000") -> list:
        return self.command(apdu(0x06, 0x20, bytes.fromhex(password)))


def status_information(messages: list) -> dict:
    for m in messages:
        if m[:2] == b"\x04\x0f":
            return bmps(m[3:] if m[2] != 0xFF else m[5:])
    return {}


def print_lines(messages: list) -> list:
    return [m[4:].decode("latin-1") for m in messages if m[:2] == b"\x06\xd1"]


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    ecr = Ecr(connect(argv[1]))
    what = argv[2]
    if what == "register":
        messages = ecr.register()
    elif what == "pay":
        ecr.register()
        messages = ecr.pay(round(float(argv[3]) * 100))
    elif what == "status":
        messages = ecr.status()
    else:
        print(f"unknown command {what}")
        return 2
    for direction, a in ecr.log:
        print(direction, a.hex(" "))
    return 0 if messages and messages[-1][:2] == b"\x06\x0f" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
