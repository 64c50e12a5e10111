#!/usr/bin/env python3
"""A programmable card simulator's command-line tool, standing in for one on a real bench.

    cardsim.py CONTROL present CARD ENTRY DAMAGE FAILURES   put CARD to the reader: ENTRY is
                                                            insert, swipe or tap; DAMAGE and
                                                            FAILURES personalise the card
    cardsim.py CONTROL remove                               take the card out

The "simulator" is vterm's card reader, driven over its control port (JSON lines at CONTROL,
HOST:PORT), as a bench's card simulator would be over USB. Each call is appended to the file
named by $CARDSIM_LOG when set. Exit 0 when the simulator did it, 1 with its error otherwise.
"""
import json
import os
import socket
import sys


def main(argv):
    if len(argv) < 3 or argv[2] not in ("present", "remove") or (
            argv[2] == "present" and len(argv) != 7):
        print(__doc__, file=sys.stderr)
        return 2
    control, what = argv[1], argv[2]
    log = os.environ.get("CARDSIM_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(" ".join(argv[2:]) + "\n")
    if what == "present":
        card, entry, damage, failures = argv[3:7]
        if entry not in ("insert", "swipe", "tap"):
            print(f"cardsim: unknown entry {entry!r}", file=sys.stderr)
            return 2
        request = {"cmd": "card." + entry, "card": card, "damage": damage}
        if damage == "chip_intermittent" and failures != "0":
            request["failures"] = int(failures)
    else:
        request = {"cmd": "card.remove"}
    host, port = control.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall((json.dumps(request) + "\n").encode())
        reply = s.makefile("r", encoding="utf-8").readline()
    answer = json.loads(reply) if reply else {"ok": False, "error": "no answer"}
    if not answer.get("ok"):
        print(f"cardsim: {answer.get('error', 'refused')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
