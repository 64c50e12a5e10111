"""Contract coverage (issue 9): every ECR command of docs/ecr-protocol.md §5 in every state or
case it is defined for, every answer a strict acquirer may give a reversal (docs/host-protocol.md,
vhost), and every parameter of every fault of the catalogue (docs/scenarios.md "Fault
catalogue") is exercised by at least one scenario of the library.

"Exercised" is evidence where the run has it: a command case counts for a scenario when the
correct terminal's RIG-ECR run (results.json) shows the command on the wire and the terminal's
answer that defines the case (the STATUS it sent, the RESULT's rc, the prompt it was waiting at);
a reversal answer counts when the proxy saw the 0410 with that field 39 (or a 0400/0401 that got
none). Fault parameters are read from the scenario files (a static scan: results.json does not
carry them). Rows no scenario can exercise yet are listed in EXCEPTIONS with the reason; the
matrix fails on a row without a scenario that is not listed there, and on a listed row that has
one (the list stays honest).

Standard library only (matrix.py imports it).
"""

import os
import re

# (command, case, what docs/ecr-protocol.md §5 says). The case names are what classify() returns.
COMMAND_CASES = [
    ("SALE", "card", "`method=card`, the terminal idle: the card is read and the sale goes online"),
    ("SALE", "qr", "`method=qr`, the terminal idle: the payment code is read and paid at the wallet"),
    ("SALE", "bad-field", "a missing or bad field (amount, currency, method): `FAILED IV`"),
    ("SALE", "known-id", "an `id` the terminal already knows: the stored RESULT, nothing run again"),
    ("SALE", "locked", "while locked: `FAILED LK`"),
    ("SALE", "busy", "while another transaction runs: `FAILED BZ`"),
    ("REFUND", "orig-id", "`orig_id` of an approved sale: the card is read, a 0200 with "
                          "processing code 200000"),
    ("REFUND", "orig-rrn", "`orig_rrn`: an original the terminal has no record of"),
    ("REFUND", "unknown-original", "`orig_id` the terminal has no approved sale for: `FAILED NF`"),
    ("REFUND", "above-original", "an amount above the original's: `FAILED IV`"),
    ("REFUND", "bad-field", "a missing or bad field (no original named): `FAILED IV`"),
    ("REFUND", "qr", "`method=qr`: `FAILED NS`"),
    ("REFUND", "known-id", "an `id` the terminal already knows: the stored RESULT, nothing run "
                           "again"),
    ("REFUND", "locked", "while locked: `FAILED LK`"),
    ("REFUND", "busy", "while another transaction runs: `FAILED BZ`"),
    ("QUERY", "finished", "a finished transaction: its stored RESULT"),
    ("QUERY", "running", "a running transaction: `UNKNOWN IP`, the final RESULT follows"),
    ("QUERY", "qr-unknown", "a QR transaction stored UNKNOWN: the wallet is asked again "
                            "(`WALLET_QUERY`), the settled RESULT"),
    ("QUERY", "unknown", "an id the terminal never heard of: `FAILED NF`"),
    ("LAST", "finished", "the most recent transaction, finished: its RESULT with `ref`"),
    ("LAST", "running", "the most recent transaction, running: `UNKNOWN IP`"),
    ("LAST", "none", "no transaction since the log was cleared: `FAILED NF`"),
    ("REPRINT", "receipt", "the last receipt again: `RECEIPT copy=duplicate` with `ref`"),
    ("REPRINT", "paper-out", "paper out: `PAPER_OUT`, `RELOAD_PAPER`, the RECEIPT after reloading"),
    ("REPRINT", "none", "no receipt to reprint: `FAILED NF`"),
    ("REPRINT", "busy", "while another transaction runs: `FAILED BZ`"),
    ("CANCEL", "at-card", "a transaction waiting for a card: `CANCELLED CX`"),
    ("CANCEL", "at-pin", "a transaction waiting for the PIN: `CANCELLED CX`"),
    ("CANCEL", "at-code", "a transaction waiting for a payment code: `CANCELLED CX`"),
    ("CANCEL", "at-password", "a LOGIN waiting for the password: `CANCELLED CX`"),
    ("CANCEL", "online", "a transaction already online: too late, its own RESULT answers"),
    ("CANCEL", "finished", "a finished transaction: its stored RESULT (CANCEL is not a void)"),
    ("CANCEL", "unknown", "an id the terminal never heard of: `FAILED NF`"),
    ("STATUS", "idle", "idle: `STATUS state=idle`"),
    ("STATUS", "busy", "a transaction runs: `STATUS state=busy`"),
    ("STATUS", "locked", "locked: `STATUS state=locked`"),
    ("STATUS", "offline", "no connection to the host at the last attempt: `STATUS state=offline`"),
    ("RESET", "idle", "idle: the display cleared, `STATUS`"),
    ("RESET", "not-online", "a transaction not yet online: its `RESULT CANCELLED CX`, then "
                            "`STATUS`"),
    ("RESET", "online", "a transaction online: it finishes (STATUS says busy)"),
    ("RESET", "locked", "locked: the lock is kept (`STATUS state=locked`)"),
    ("LOGIN", "right", "the right operator password: `APPROVED`"),
    ("LOGIN", "wrong", "a wrong password: asked again in the same LOGIN with `tries_left`"),
    ("LOGIN", "locks", "the wrong password that uses up the tries: `LOCKED`, `DECLINED LK`"),
    ("LOGIN", "cancelled", "CANCEL during the password: `CANCELLED CX`"),
    ("LOGIN", "timeout", "no password before the terminal's wait runs out: `CANCELLED NT`"),
    ("LOGIN", "locked", "while locked: `FAILED LK`"),
    ("LOGIN", "busy", "while another transaction runs: `FAILED BZ`"),
    ("UNLOCK", "right", "locked, the supervisor password: `UNLOCKED`, `APPROVED`"),
    ("UNLOCK", "wrong", "locked, a wrong supervisor password: `DECLINED OP`, still locked"),
    ("UNLOCK", "not-locked", "while not locked: `FAILED IV`"),
    ("UNLOCK", "busy", "while another transaction runs: `FAILED BZ`"),
    ("(any)", "unknown-command", "an unknown command name: `FAILED IV`"),
]

COMMANDS = sorted({c for c, _, _ in COMMAND_CASES if c != "(any)"})

# What a strict acquirer (vhost, docs/host-protocol.md) may answer a 0400/0401: field 39 of the
# 0410, or no 0410 at all.
REVERSAL_ANSWERS = [
    ("00", "applied (or already reversed, or its original declined): the record is cleared"),
    ("03", "invalid merchant: refused, the terminal repeats it"),
    ("12", "invalid transaction: refused, the terminal repeats it"),
    ("25", "original not found: nothing to undo, the record is cleared"),
    ("30", "format error: refused, the terminal repeats it"),
    ("64", "original amount incorrect: refused, the terminal repeats it"),
    ("96", "system malfunction (`host.refuse_reversal answer: 96`): refused, the terminal "
           "repeats it"),
    ("none", "no answer (`host.refuse_reversal`, `host.no_response` on a reversal MTI): the "
             "terminal repeats it after its host timeout"),
]

# Rows no scenario exercises, and why: {row key: reason}. Row keys: ("command", CMD, CASE),
# ("reversal", CODE), ("fault", FAULT, PARAM) with PARAM "" for a fault without parameters.
EXCEPTIONS = {
    ("command", "REFUND", "orig-rrn"):
        "the `refund` step names its original by the scenario's sale (`of`, sent as `orig_id`); "
        "a refund by `orig_rrn` needs a field the terminal model's command lacks (rig/terminal/"
        "model.h `Command`) and its mapping in every driver (RIG-ECR, ZVT, adapter protocol)",
    ("command", "LAST", "none"):
        "needs a terminal whose log is empty; a bench terminal keeps its log across scenarios "
        "(at least the last 100 ids, through power cuts: §7) and no command clears it, so a "
        "scenario could only see it on a fresh terminal, which depends on the order scenarios "
        "run in; tests/integration/test_vterm_basics.cpp checks it on a fresh vterm",
    ("command", "REPRINT", "none"):
        "needs a terminal that has printed no receipt yet, which no command brings about (as "
        "LAST without a transaction); tests/integration/test_vterm_printer.cpp checks it on a "
        "fresh vterm",
    ("command", "LOGIN", "timeout"):
        "the operator password wait is the terminal's own figure, not a profile value "
        "(docs/profiles.md), so a scenario would pin vterm's 60 s",
    ("command", "(any)", "unknown-command"):
        "the terminal drivers send only the commands of the terminal model (§5), so no scenario "
        "can send an unknown name; tests/integration/test_vterm_basics.cpp sends one to vterm",
}

_PROMPT_WAITS = {
    "PRESENT_CARD": "at-card", "INSERT_CHIP": "at-card", "SWIPE": "at-card",
    "RETRY_CARD": "at-card", "PIN": "at-pin", "SCAN_CODE": "at-code", "RESCAN": "at-code",
    "MANUAL_ENTRY": "at-code", "OPERATOR_PASSWORD": "at-password",
}


def command_label(command, case):
    return "%s %s" % (command, case)


def fields_of(payload):
    """"SALE|id=T1|amount=1.00" -> ("SALE", {"id": "T1", "amount": "1.00"})."""
    parts = payload.split("|")
    out = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        out[k] = v
    return parts[0], out


def scenario_entries(scenario):
    """The timeline entries of the scenario's own steps: the station's settle step (RESET and
    the rest after the last step) and messages the rig marks as an earlier scenario's are left
    out."""
    steps = scenario.get("steps") or []
    end = max((s.get("end_ms", 0) for s in steps), default=None)
    out = []
    for e in scenario.get("timeline") or []:
        if end is not None and e.get("t_ms", 0) > end:
            break
        if (e.get("fields") or {}).get("earlier_scenario"):
            continue
        out.append(e)
    return out


def _answer(entries, i, command, cid):
    """The terminal's answer to the command sent at entries[i] (id `cid`): (index, entry) or
    (None, None)."""
    for j in range(i + 1, len(entries)):
        e = entries[j]
        k, f = e["kind"], e.get("fields") or {}
        if command in ("STATUS", "RESET"):
            if k == "status" and f.get("id") == cid:
                return j, e
        elif command == "LAST":
            if k == "result" and (f.get("ref") == cid or f.get("id") == cid):
                return j, e
        elif command == "REPRINT":
            if (k == "receipt" and f.get("ref") == cid) or (k == "result" and f.get("id") == cid):
                return j, e
        elif k == "result" and f.get("id") == cid:
            # A SALE's or REFUND's answer is its final RESULT, not the interim UNKNOWN IP that
            # answers a QUERY or LAST about it meanwhile.
            if command in ("SALE", "REFUND") and f.get("rc") == "IP":
                continue
            return j, e
    return None, None


def classify(scenario):
    """The (command, case) pairs of COMMAND_CASES the scenario's run shows."""
    entries = scenario_entries(scenario)
    seen = set()
    money_ids = {}  # SALE/REFUND id -> amount, in the order sent
    for i, e in enumerate(entries):
        f = e.get("fields") or {}
        if e["kind"] != "ecr_out" or f.get("kind") != "frame" or f.get("attempt", 1) != 1:
            continue
        command, args = fields_of(f.get("payload", ""))
        if command not in COMMANDS:
            continue
        cid = args.get("id", "")
        j, answer = _answer(entries, i, command, cid)
        a = (answer or {}).get("fields") or {}
        rc, status = a.get("rc", ""), a.get("status", "")
        between = entries[i + 1:j] if j is not None else entries[i + 1:]
        case = None
        if command in ("SALE", "REFUND"):
            known = cid in money_ids
            money_ids.setdefault(cid, args.get("amount", ""))
            if answer is None:
                case = None
            elif known:
                case = "known-id"
            elif rc in ("BZ", "LK", "NS", "NF"):
                case = {"BZ": "busy", "LK": "locked", "NS": "qr", "NF": "unknown-original"}[rc]
            elif rc == "IV":
                original = money_ids.get(args.get("orig_id", ""), "")
                above = (command == "REFUND" and original and
                         float(args.get("amount", "0") or 0) > float(original))
                case = "above-original" if above else "bad-field"
            elif command == "SALE":
                case = args.get("method", "card")
            else:
                case = "orig-rrn" if "orig_rrn" in args else "orig-id"
        elif command == "QUERY" and answer is not None:
            if rc == "IP":
                case = "running"
            elif rc == "NF":
                case = "unknown"
            elif any(x["kind"] == "event" and (x.get("fields") or {}).get("name") == "WALLET_QUERY"
                     for x in between):
                case = "qr-unknown"
            else:
                case = "finished"
        elif command == "LAST" and answer is not None:
            if a.get("id") == cid and rc == "NF":
                case = "none"
            else:
                case = "running" if rc == "IP" else "finished"
        elif command == "REPRINT" and answer is not None:
            if answer["kind"] == "receipt":
                paper_out = any(x["kind"] == "event" and
                                (x.get("fields") or {}).get("name") == "PAPER_OUT" for x in between)
                case = "paper-out" if paper_out else "receipt"
            else:
                case = {"NF": "none", "BZ": "busy"}.get(rc)
        elif command == "CANCEL" and answer is not None:
            if rc == "NF":
                case = "unknown"
            elif rc == "CX":
                waits = [(x.get("fields") or {}).get("kind") for x in entries[:i]
                         if x["kind"] == "prompt" and (x.get("fields") or {}).get("id") == cid]
                case = _PROMPT_WAITS.get(waits[-1]) if waits else None
            else:
                ended = any(x["kind"] == "result" and (x.get("fields") or {}).get("id") == cid and
                            (x.get("fields") or {}).get("rc") != "IP" for x in entries[:i])
                case = "finished" if ended else "online"
        elif command == "STATUS" and answer is not None:
            case = a.get("state")
        elif command == "RESET" and answer is not None:
            if any(x["kind"] == "result" and (x.get("fields") or {}).get("rc") == "CX"
                   for x in between):
                case = "not-online"
            else:
                case = {"busy": "online", "locked": "locked", "idle": "idle"}.get(a.get("state"))
        elif command == "LOGIN" and answer is not None:
            if any(x["kind"] == "prompt" and (x.get("fields") or {}).get("kind") ==
                   "OPERATOR_PASSWORD" and (x.get("fields") or {}).get("id") == cid and
                   (x.get("fields") or {}).get("tries_left") is not None for x in between):
                seen.add(("LOGIN", "wrong"))
            case = {("APPROVED", "00"): "right", ("DECLINED", "LK"): "locks",
                    ("CANCELLED", "CX"): "cancelled", ("CANCELLED", "NT"): "timeout",
                    ("FAILED", "LK"): "locked", ("FAILED", "BZ"): "busy"}.get((status, rc))
        elif command == "UNLOCK" and answer is not None:
            case = {("APPROVED", "00"): "right", ("DECLINED", "OP"): "wrong",
                    ("FAILED", "IV"): "not-locked", ("FAILED", "BZ"): "busy"}.get((status, rc))
        if case:
            seen.add((command, case))
    return seen


def reversal_answers(scenario):
    """The REVERSAL_ANSWERS codes the scenario's run shows: field 39 of each 0410 the proxy saw,
    and "none" when more 0400/0401 went to the host than 0410s came back."""
    codes, sent, answered = set(), 0, 0
    for e in scenario_entries(scenario):
        f = e.get("fields") or {}
        if e["kind"] != "host_message":
            continue
        if f.get("mti") in ("0400", "0401") and f.get("direction") == "to_host":
            sent += 1
        elif f.get("mti") == "0410" and f.get("direction") == "to_terminal":
            answered += 1
            codes.add((f.get("fields") or {}).get("39", ""))
    if sent > answered:
        codes.add("none")
    return codes


def fault_catalogue(scenarios_md):
    """[(fault, [parameters])] from docs/scenarios.md's "Fault catalogue" table (the catalogue's
    own list, rig/scenario/catalogue.cpp; tests/unit/test_scenario_load.cpp keeps them equal).
    "network common" stands for direction, probability and seed."""
    out, inside = [], False
    for line in scenarios_md.splitlines():
        if line.startswith("## "):
            inside = line.strip() == "## Fault catalogue"
            continue
        m = re.match(r"^\| `([a-z]+\.[a-z_]+)` \| [^|]* \| ([^|]*) \|", line)
        if inside and m:
            params = re.findall(r"`([a-z_]+)`", m.group(2))
            if "network common" in m.group(2):
                params += ["direction", "probability", "seed"]
            out.append((m.group(1), params))
    return out


def fault_steps(text):
    """[(fault, [parameter keys])] of the `- fault: NAME` items of a scenario file (block style,
    parameters beside the fault as docs/scenarios.md writes them; `when` and `for` are not
    parameters)."""
    out, current, indent = [], None, None
    for raw in text.splitlines():
        line = re.sub(r"\s+#.*$", "", raw.rstrip())
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^(\s*)- fault:\s*([A-Za-z0-9_.]+)\s*$", line)
        if m:
            current, indent = (m.group(2), []), len(m.group(1)) + 2
            out.append(current)
            continue
        m = re.match(r"^(\s*)([a-z_]+):", line)
        if current is not None and m and len(m.group(1)) == indent:
            if m.group(2) not in ("when", "for"):
                current[1].append(m.group(2))
            continue
        if current is not None and m and len(m.group(1)) > indent:
            continue  # inside `when:` written as a block
        current = None
    return out


def rows(catalogue):
    """Every row of the contract table: (key, section, label, what)."""
    out = []
    for command, case, what in COMMAND_CASES:
        out.append((("command", command, case), "command", command_label(command, case), what))
    for code, what in REVERSAL_ANSWERS:
        out.append((("reversal", code), "reversal", code, what))
    for fault, params in catalogue:
        if not params:
            out.append((("fault", fault, ""), "fault", "`%s`" % fault, "(no parameters)"))
        for p in params:
            out.append((("fault", fault, p), "fault", "`%s` `%s`" % (fault, p), ""))
    return out


def model(base_results, root, scenarios_md_path="docs/scenarios.md"):
    """{row key: sorted scenario ids} from the correct terminal's RIG-ECR results and the
    scenario files; and the rows in order."""
    with open(os.path.join(root, scenarios_md_path)) as f:
        catalogue = fault_catalogue(f.read())
    seen = {}
    for s in (base_results or {}).get("scenarios", []):
        if s.get("status") != "pass":
            continue
        keys = {("command",) + c for c in classify(s)}
        keys |= {("reversal", c) for c in reversal_answers(s)}
        try:
            with open(os.path.join(root, s["file"])) as f:
                steps = fault_steps(f.read())
        except OSError:
            steps = []
        for fault, params in steps:
            keys.add(("fault", fault, ""))
            keys |= {("fault", fault, p) for p in params}
        for k in keys:
            seen.setdefault(k, set()).add(s["id"])
    table = rows(catalogue)
    return {k: sorted(seen.get(k, ())) for k, _, _, _ in table}, table


def problems(exercised, table, exceptions=None):
    """What the matrix reports: rows without a scenario that EXCEPTIONS does not explain, listed
    rows that do have one, and listed rows that are not rows."""
    exceptions = EXCEPTIONS if exceptions is None else exceptions
    out = []
    labels = {k: (section, label) for k, section, label, _ in table}
    for k, section, label, _ in table:
        if not exercised[k] and k not in exceptions:
            out.append("contract: %s: no scenario exercises it" % describe(section, label))
        if exercised[k] and k in exceptions:
            out.append("contract: %s is exercised by %s but listed in contract.EXCEPTIONS: "
                       "remove it there" % (describe(section, label), ", ".join(exercised[k])))
    for k in exceptions:
        if k not in labels:
            out.append("contract: EXCEPTIONS names %r, which is not a row of the contract" % (k,))
    return out


def describe(section, label):
    if section == "command":
        return label
    if section == "reversal":
        return "reversal answer %s" % label
    return "fault parameter %s" % label.replace("`", "")


def render(exercised, table, exceptions=None):
    exceptions = EXCEPTIONS if exceptions is None else exceptions
    L = ["## Contract", ""]
    L.append("Every ECR command of docs/ecr-protocol.md in each state or case it is defined for, "
             "every answer a strict acquirer may give a reversal (docs/host-protocol.md), and every "
             "parameter of every fault of the catalogue (docs/scenarios.md) is exercised by a "
             "scenario (tests/matrix/contract.py). Commands and reversal answers are read from the "
             "correct terminal's RIG-ECR run: the command on the wire and the answer that defines "
             "its case (the RESULT's rc, the STATUS state, the prompt it waited at), the 0410's "
             "field 39; fault parameters from the scenario files. `matrix.detection` fails on a "
             "row without a scenario that is not an exception below.")
    titles = {"command": ("### ECR commands", "| command and case | what the terminal does | "
                                              "scenarios |"),
              "reversal": ("### Reversal answers", "| field 39 of the 0410 | meaning | scenarios |"),
              "fault": ("### Fault parameters", "| fault and parameter | | scenarios |")}
    current = None
    for k, section, label, what in table:
        if section != current:
            current = section
            L += ["", titles[section][0], "", titles[section][1], "|---|---|---|"]
        if exercised[k]:
            txt = ", ".join("`%s`" % i for i in exercised[k])
        elif k in exceptions:
            txt = "exception: " + exceptions[k]
        else:
            txt = "**none**"
        L.append("| %s | %s | %s |" % (label, what, txt))
    L.append("")
    return L
