#!/usr/bin/python3
"""Detection matrix: proves that the scenario library catches broken terminals.

Runs the library (`rig run scenarios`) on the virtual bench once against the correct virtual
terminal and once per firmware defect listed by `vterm --list-bugs` (`--var bugs=NAME`), a few
runs at a time, reads each run's results.json and asserts:

  1. the correct terminal passes every scenario (rig exits 0);
  2. every bug fails at least one scenario;
  3. every bug fails a scenario tagged with the bug's rule (`rule-N`): the scenario that
     catches it is the one written for its rule;
  4. every scenario that passes on the correct terminal fails under at least one bug;
  5. every rule of RULES (1-22) has a scenario (tag `rule-N`);
  6. the contract is covered (contract.py): every ECR command in every state or case
     docs/ecr-protocol.md defines, every answer a strict acquirer may give a reversal and every
     fault parameter of the catalogue is exercised by a scenario of the correct terminal's run,
     or is a listed exception with its reason.

The same defects run over ZVT too (--zvt-bench, fixtures/benches/virtual-zvt.yaml: vterm
--protocol zvt behind the zvt terminal driver). The correct terminal's run there says which
scenarios ZVT can run (the rest are skipped with the reason, docs/terminal-drivers.md); each
defect's ZVT run runs only those (the same --jobs pool) and the matrix asserts, per protocol:

  Z1. the correct terminal passes every scenario that is not skipped over ZVT;
  Z2. a defect is caught over ZVT (a scenario of its rule fails), or it is not observable over
      ZVT: every scenario that catches it over RIG-ECR was skipped over ZVT (the doc gives their
      skip reasons); a defect that one of them ran for and did not catch is a failure;
  Z3. every scenario that runs over ZVT fails under at least one defect there.

Rules the rig cannot check yet are listed in KNOWN_GAPS with the reason; their bugs are reported
as known gaps instead of failures, and a gap that turns out to be covered is an error (so the
list is kept honest). Checks 4 and Z3 need every bug: with --bug/--bugs they are left out.

It prints a summary table and writes docs/coverage.md (--write), or, in --check mode (what
ctest runs), fails when docs/coverage.md differs from what it would write. The timing figures
and the incidental detections (scenarios of other rules that also fail under a bug, which
depend on timing and on the order scenarios land on stations) sit between the "not checked"
markers and are left out of the comparison.

Standard library only; run it with /usr/bin/python3.
"""

import argparse
import concurrent.futures
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contract  # noqa: E402

RULES = {
    1: "no host response: FAILED, reversal (0400, 39=98) stored and sent before the next online transaction",
    2: "reversal carries the original MTI, STAN, time in field 90; STAN kept on 0401 repeats; applied once",
    3: "unacknowledged reversal resent a bounded number of times, then REVERSAL_FAILED alert, record kept",
    4: "a response whose MTI, STAN, terminal or merchant id does not match is rejected, never applied",
    5: "a timed-out sale is never retried as a new sale with a new STAN",
    6: "power cut during an online transaction: the pending reversal survives and is sent",
    7: "mute or failing chip: retries, SWIPE prompt, swipe sent as fallback",
    8: "chip card swiped without a chip failure: INSERT_CHIP, swipe not accepted",
    9: "garbled stripe: read error and retry prompt, nothing sent to the host",
    10: "wrong PIN: tries left, last-try warning, blocked at zero (55, then 75)",
    11: "expired 54, insufficient funds 51, frozen 62: clear decline, no debit; the host is asked for exactly the sale's amount",
    12: "dirty scanner or damaged code: RESCAN, nothing sent; cleaned head and manual entry work",
    13: "USERPAYING, SYSTEMERROR or no answer: query the same order, never pay again; bounded polling",
    14: "still unknown after polling: bounded reverse, then UNKNOWN flagged for manual handling",
    15: "paid but not credited: a query by the same order number settles it; one payment",
    16: "paper out while printing: stays approved, RELOAD_PAPER, the same receipt prints after reload",
    17: "a reprint is the last receipt only, marked duplicate",
    18: "bad LRC: NAK; the sender retries at most 3 times, then a protocol error",
    19: "no ACK: the identical frame is resent; a duplicate is not executed twice",
    20: "ECR link lost mid-transaction: LAST/QUERY asked; the terminal never starts a sale on its own",
    21: "too many wrong operator passwords: the terminal locks; unlocking needs the supervisor",
    # Not in DOMAIN.md's list: docs/ecr-protocol.md's rule for what the terminal may show.
    22: "card data: RESULT, receipts and display show a PAN as first six and last four digits at most",
}

# Rules the rig cannot check yet, and why: {rule: reason}. Keep this honest: the matrix fails
# when a listed rule gets a scenario that catches its bugs.
KNOWN_GAPS = {}

# What the scenarios of a rule cannot assert although the rule asks for it, and rules vterm has
# no defect for (their scenarios are proven by the bugs of other rules they also catch).
LIMITS = [
    "Rule 19 at the frame level: the identical resends after lost ACKs show in results.json's "
    "transcript (`ecr_in` frames with `duplicate: true`) but are not asserted (the frame that "
    "gets resent depends on timing); the scenarios assert what follows from them (one "
    "execution, one 0200, one debit). Rule 18's NAKs are asserted (`expect: {ecr: nak}`).",
    "Rule 3's evidence (the failed reversal kept in flash) is reported by STATUS "
    "`failed_reversals`, which `expect: {state: …}` can check, but the count grows over a run on "
    "one terminal (and with --repeat), so the scenario checks the REVERSAL_FAILED alert, "
    "CONTACT_SUPPORT and the unreversed money in the ledger instead.",
]

BEGIN_UNCHECKED = "<!-- not checked: begin -->"
END_UNCHECKED = "<!-- not checked: end -->"


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    root_default = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rig", required=True, help="the rig command (build/rig)")
    p.add_argument("--vterm", required=True, help="the vterm binary (for --list-bugs)")
    p.add_argument("--root", default=root_default, help="source tree (default: this checkout)")
    p.add_argument("--bench", default="fixtures/benches/virtual.yaml",
                   help="the RIG-ECR bench, from --root")
    p.add_argument("--zvt-bench", default="fixtures/benches/virtual-zvt.yaml",
                   help="the ZVT bench, from --root")
    p.add_argument("--scenarios", default="scenarios", help="scenario library, from --root")
    p.add_argument("--doc", default="docs/coverage.md", help="coverage page, from --root")
    p.add_argument("-j", "--jobs", type=int, default=3, help="rig runs at once (default 3)")
    p.add_argument("--bug", action="append", default=[],
                   help="only these bugs (repeatable; the doc is then neither written nor checked)")
    p.add_argument("--bugs", default="", help="only these bugs, comma-separated (as --bug)")
    p.add_argument("--out", help="keep every run's reports here (default: a temporary folder)")
    p.add_argument("--reuse", metavar="DIR",
                   help="run nothing: judge the reports an earlier run kept with --out DIR "
                        "(the same bugs; timings are rig's own figures)")
    p.add_argument("--run-timeout", type=float, default=900, help="seconds per rig run")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="fail when the coverage page is not what this run would write")
    mode.add_argument("--write", action="store_true", help="write the coverage page")
    return p.parse_args(argv)


def list_bugs(vterm):
    out = subprocess.run([vterm, "--list-bugs"], check=True, capture_output=True, text=True).stdout
    bugs = []
    for line in out.splitlines():
        if not line.strip():
            continue
        name, rule, what = line.split("\t", 2)
        bugs.append({"name": name, "rule": int(rule), "what": what})
    if not bugs:
        raise SystemExit("matrix: %s --list-bugs printed no bug" % vterm)
    return bugs


def rule_tags(tags):
    rules = set()
    for t in tags:
        m = re.fullmatch(r"rule-(\d+)", t)
        if m:
            rules.add(int(m.group(1)))
    return rules


class Run:
    def __init__(self, bug, out_dir, protocol, bench, files=None):
        self.bug = bug  # None: the correct terminal
        self.out_dir = out_dir
        self.protocol = protocol
        self.bench = bench
        self.files = files  # scenario files to run (None: the whole library)
        self.exit_code = None
        self.wall_s = None
        self.results = None
        self.error = None
        self.log = ""

    @property
    def label(self):
        return "%s %s" % (self.protocol, self.bug or "(correct)")

    def statuses(self):
        return {s["id"]: s["status"] for s in self.results["scenarios"]} if self.results else {}

    def failed(self):
        return sorted(i for i, st in self.statuses().items() if st == "fail")

    def errored(self):
        return sorted(i for i, st in self.statuses().items() if st == "error")

    def skips(self):
        """{scenario id: why it was skipped}, the reason without file positions (see
        short_reason)."""
        if not self.results:
            return {}
        return {s["id"]: short_reason(s.get("message", ""))
                for s in self.results["scenarios"] if s["status"] == "skipped"}


def short_reason(message):
    """A skip message without the step positions and the "also lacks" lists: what the station's
    driver cannot do, e.g. "needs terminal events; driver zvt cannot observe them"."""
    text = re.sub(r" \([^()]* at [^()]*:\d+:\d+\)", "", message)
    text = re.sub(r"; also lacks [^;]*?(?=; station |$)", "", text)
    return text.strip()


def not_passed_text(run, timeline_entries=40):
    """The scenarios of `run` that did not pass, in the order they started, with their messages,
    and the end of the first one's timeline: what CI needs to show when the correct terminal
    fails (later failures are often consequences of the first)."""
    if not run.results:
        return "(no results)"
    bad = [s for s in run.results["scenarios"] if s["status"] not in ("pass", "skipped")]
    bad.sort(key=lambda s: s.get("started_at", ""))
    lines = []
    for s in bad:
        lines.append("%s  %s  %s  %s" % (s.get("started_at", "?"), s["status"], s.get("station", "-"), s["id"]))
        lines.append("    " + s.get("message", ""))
    if bad:
        lines.append("timeline of %s (last %d entries):" % (bad[0]["id"], timeline_entries))
        for e in bad[0].get("timeline", [])[-timeline_entries:]:
            lines.append("    " + json.dumps(e, sort_keys=True)[:300])
    return "\n".join(lines)


def do_run(args, run, print_lock):
    cmd = [args.rig, "run"] + (run.files or [args.scenarios]) + ["--bench", run.bench,
                                                                  "--out", run.out_dir]
    if run.bug:
        cmd += ["--var", "bugs=" + run.bug]
    start = time.monotonic()
    try:
        if args.reuse:
            proc = None
        else:
            proc = subprocess.run(cmd, cwd=args.root, capture_output=True, text=True,
                                  timeout=args.run_timeout)
            run.exit_code = proc.returncode
            run.log = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as e:
        run.error = "rig run did not finish within %.0f s" % args.run_timeout
        run.log = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
    run.wall_s = time.monotonic() - start
    path = os.path.join(run.out_dir, "results.json")
    if run.error is None:
        try:
            with open(path) as f:
                run.results = json.load(f)
        except (OSError, ValueError) as e:
            run.error = "no readable results.json (%s); rig exited %s" % (e, run.exit_code)
    if args.reuse and run.results:
        run.exit_code = 1 if run.failed() or run.errored() else 0
        run.wall_s = run.results.get("duration_ms", 0) / 1000.0
    if run.error is None and run.exit_code not in (0, 1):
        run.error = "rig exited %s (infrastructure or usage error)" % run.exit_code
    with print_lock:
        if run.error:
            state = "ERROR: " + run.error
        else:
            state = "%d failed, %d errors" % (len(run.failed()), len(run.errored()))
        print("  %-38s exit %-4s %6.1f s  %s" % (run.label, run.exit_code, run.wall_s, state),
              flush=True)
    return run


def analyse(bugs, base, runs, scenarios, partial):
    """Returns (problems, model) where model holds everything the doc and the summary show."""
    problems = []
    by_rule = {r: sorted(i for i, s in scenarios.items() if r in s["rules"]) for r in RULES}

    # 1. The correct terminal passes everything.
    if base.error:
        problems.append("correct terminal: " + base.error)
    else:
        bad = {i: st for i, st in base.statuses().items() if st != "pass"}
        for i, st in sorted(bad.items()):
            msg = next((s.get("message", "") for s in base.results["scenarios"] if s["id"] == i), "")
            problems.append("correct terminal: %s is %s: %s" % (i, st, msg))
        if base.exit_code != 0 and not bad:
            problems.append("correct terminal: rig exited %s" % base.exit_code)

    detections = {}  # bug -> failed scenario ids
    own = {}  # bug -> failed scenario ids tagged with the bug's rule
    for b in bugs:
        run = runs[b["name"]]
        if run.error:
            problems.append("%s: %s" % (b["name"], run.error))
            detections[b["name"]] = []
            own[b["name"]] = []
            continue
        failed = run.failed()
        detections[b["name"]] = failed
        own[b["name"]] = [i for i in failed if b["rule"] in scenarios.get(i, {}).get("rules", ())]
        gap = b["rule"] in KNOWN_GAPS
        if gap:
            if own[b["name"]]:
                problems.append("%s (rule %d) is caught by %s, but rule %d is listed in KNOWN_GAPS: "
                                "remove it there" % (b["name"], b["rule"], ", ".join(own[b["name"]]),
                                                     b["rule"]))
            continue
        if not failed:  # 2.
            problems.append("%s (rule %d): no scenario fails" % (b["name"], b["rule"]))
        elif not own[b["name"]]:  # 3.
            problems.append("%s (rule %d): caught only by %s, none tagged rule-%d"
                            % (b["name"], b["rule"], ", ".join(failed), b["rule"]))

    # 4. Every scenario catches at least one bug.
    caught_by = {i: sorted(b["name"] for b in bugs if i in detections[b["name"]]) for i in scenarios}
    if not base.error and not partial:
        for i in sorted(scenarios):
            if base.statuses().get(i) == "pass" and not caught_by[i]:
                problems.append("%s: passes under every bug (it catches nothing)" % i)

    # 5. Every rule has a scenario.
    for r in RULES:
        if not by_rule[r] and r not in KNOWN_GAPS:
            problems.append("rule %d has no scenario (tag rule-%d)" % (r, r))
        if by_rule[r] and r in KNOWN_GAPS:
            rule_bugs = [b for b in bugs if b["rule"] == r]
            if not rule_bugs:
                problems.append("rule %d has scenarios (%s) but is listed in KNOWN_GAPS: remove it"
                                % (r, ", ".join(by_rule[r])))
    return problems, {"by_rule": by_rule, "detections": detections, "own": own,
                      "caught_by": caught_by}


def analyse_zvt(bugs, zbase, zruns, scenarios, model, partial):
    """The ZVT half (checks Z1-Z3 of the module doc). `model` is analyse()'s for RIG-ECR.
    Returns (problems, zmodel): zmodel["skipped"] {scenario: why}, zmodel["ran"] the scenarios
    ZVT ran, and per bug zmodel["detections"] (every failing scenario), zmodel["own"] (those of
    its rule) and zmodel["unobservable"] ({skipped scenario: why} for a bug ZVT cannot catch)."""
    problems = []
    skipped, ran = {}, []
    if zbase.error:
        problems.append("correct terminal over ZVT: " + zbase.error)
    else:
        skipped = zbase.skips()
        ran = sorted(i for i in zbase.statuses() if i not in skipped)
        for s in zbase.results["scenarios"]:  # Z1.
            if s["status"] == "skipped" and not skipped[s["id"]]:
                problems.append("correct terminal over ZVT: %s is skipped without a reason" % s["id"])
            elif s["status"] not in ("pass", "skipped"):
                problems.append("correct terminal over ZVT: %s is %s: %s"
                                % (s["id"], s["status"], s.get("message", "")))
    detections, own, unobservable = {}, {}, {}
    for b in bugs:
        name, rule = b["name"], b["rule"]
        run = zruns.get(name)
        if run is not None and run.error:
            problems.append("%s over ZVT: %s" % (name, run.error))
        failed = run.failed() if run is not None and not run.error else []
        detections[name] = failed
        own[name] = [i for i in failed if rule in scenarios.get(i, {}).get("rules", ())]
        if own[name] or zbase.error or rule in KNOWN_GAPS:
            continue
        # Z2. What catches it over RIG-ECR (or, when nothing does, the scenarios of its rule).
        basis = model["own"][name] or model["by_rule"][rule]
        if basis and all(i in skipped for i in basis):
            unobservable[name] = {i: skipped[i] for i in basis}
        else:
            problems.append("%s (rule %d): not caught over ZVT although %s ran there"
                            % (name, rule, ", ".join(i for i in basis if i not in skipped)))
    if not zbase.error and not partial:  # Z3.
        for i in ran:
            if zbase.statuses()[i] == "pass" and not any(i in d for d in detections.values()):
                problems.append("%s: passes over ZVT under every bug (it catches nothing there)" % i)
    return problems, {"skipped": skipped, "ran": ran, "detections": detections, "own": own,
                      "unobservable": unobservable}


def cell(items):
    return ", ".join(items) if items else "—"


def unobservable_cell(why):
    """{skipped scenario: reason} as "not observable: `a`, `b` skipped (reason); …"."""
    groups = {}
    for i, reason in sorted(why.items()):
        groups.setdefault(reason, []).append("`%s`" % i)
    return "not observable: " + "; ".join("%s skipped (%s)" % (", ".join(ids), reason)
                                           for reason, ids in groups.items())


def zvt_bug_cell(b, zmodel):
    name = b["name"]
    if zmodel["own"][name]:
        return cell(["`%s`" % i for i in zmodel["own"][name]])
    if name in zmodel["unobservable"]:
        return unobservable_cell(zmodel["unobservable"][name])
    if b["rule"] in KNOWN_GAPS:
        return "none: known gap (rule %d)" % b["rule"]
    return "NO"


def render_protocols(bugs, scenarios, model, zmodel, zvt_bench):
    own = model["own"]
    L = []
    L.append("## Per protocol")
    L.append("")
    L.append("The library also runs on the virtual ZVT bench (`%s`: `vterm --protocol zvt` behind "
             "the `zvt` terminal driver, docs/zvt.md), against the correct terminal and then per "
             "defect with only the scenarios that ran there. A scenario that needs what the ZVT "
             "driver cannot observe, send or make is skipped with the reason (docs/"
             "terminal-drivers.md). A defect is caught over a protocol when a scenario of its rule "
             "fails there. A defect that ZVT does not catch is *not observable over ZVT*: every "
             "scenario that catches it over RIG-ECR is skipped there, for the reason given; one "
             "of them running without catching it fails the matrix." % zvt_bench)
    L.append("")
    n = len(bugs)
    L.append("- RIG-ECR: %d of %d defects caught; %d of %d scenarios run."
             % (sum(1 for b in bugs if own[b["name"]]), n, len(scenarios), len(scenarios)))
    L.append("- ZVT: %d of %d defects caught, %d not observable; %d of %d scenarios run (%s)."
             % (sum(1 for b in bugs if zmodel["own"][b["name"]]), n, len(zmodel["unobservable"]),
                len(zmodel["ran"]), len(scenarios),
                ", ".join("`%s`" % i for i in zmodel["ran"]) or "none"))
    L.append("")
    L.append("### Defects × protocol")
    L.append("")
    L.append("| bug | rule | RIG-ECR: failing scenarios of its rule | ZVT: failing scenarios of its "
             "rule, or why it is not observable |")
    L.append("|---|---|---|---|")
    for b in bugs:
        L.append("| `%s` | %d | %s | %s |" % (b["name"], b["rule"],
                                            cell(["`%s`" % i for i in own[b["name"]]]),
                                            zvt_bug_cell(b, zmodel)))
    L.append("")
    L.append("### Scenarios over ZVT")
    L.append("")
    L.append("| scenario | rules | over ZVT: bugs of its rules it catches, or why it is skipped |")
    L.append("|---|---|---|")
    bug_rule = {b["name"]: b["rule"] for b in bugs}
    for i in sorted(scenarios):
        rules = sorted(scenarios[i]["rules"])
        if i in zmodel["skipped"]:
            txt = "skipped: " + zmodel["skipped"][i]
        else:
            mine = [n for n in sorted(zmodel["detections"])
                    if i in zmodel["detections"][n] and bug_rule[n] in rules]
            txt = "runs; catches " + cell(["`%s`" % n for n in mine])
        L.append("| `%s` | %s | %s |" % (i, ", ".join(str(r) for r in rules) or "—", txt))
    L.append("")
    return L


def render_doc(bugs, base, runs, scenarios, model, timing, zbase, zruns, zmodel, contract_lines):
    by_rule, own, detections = model["by_rule"], model["own"], model["detections"]
    bug_rule = {b["name"]: b["rule"] for b in bugs}
    L = []
    L.append("# Coverage: rules × scenarios × bugs caught, and the contract")
    L.append("")
    L.append("Generated by `tests/matrix/matrix.py --write` (do not edit by hand): the scenario "
             "library was run on the virtual bench (RIG-ECR) and on the virtual ZVT bench against "
             "the correct `vterm` and once per firmware defect of `vterm --list-bugs`. ctest's "
             "`matrix.detection` (label `matrix`) runs the same matrix and fails when a bug goes "
             "uncaught (over ZVT: uncaught although a scenario that catches it over RIG-ECR ran), "
             "when the correct terminal fails a scenario, when a row of the contract (below) has no "
             "scenario, or when this page is out of date. "
             "Rules 1-21 come from DOMAIN.md, rule 22 from docs/ecr-protocol.md; a scenario checks "
             "rule N when it carries the tag `rule-N`. The tables up to \"Per protocol\" are "
             "RIG-ECR's; \"Per protocol\" shows what each protocol's evidence still catches.")
    L.append("")
    L.append("## Rules")
    L.append("")
    L.append("| rule | what the terminal must do | scenarios | bugs breaking it | caught | "
             "caught over ZVT |")
    L.append("|---|---|---|---|---|---|")
    for r, text in RULES.items():
        rb = [b["name"] for b in bugs if b["rule"] == r]
        if r in KNOWN_GAPS and not by_rule[r]:
            caught = zcaught = "gap (below)"
        elif not rb:
            caught = zcaught = "no defect in vterm"
        else:
            caught = "yes" if all(own[n] for n in rb) else "NO"
            zn = sum(1 for n in rb if zmodel["own"][n])
            hidden = sum(1 for n in rb if n in zmodel["unobservable"])
            if zn == len(rb):
                zcaught = "yes"
            elif hidden == len(rb):
                zcaught = "not observable"
            elif zn + hidden == len(rb):
                zcaught = "%d of %d (the rest not observable)" % (zn, len(rb))
            else:
                zcaught = "NO"
        L.append("| %d | %s | %s | %s | %s | %s |"
                 % (r, text, cell(["`%s`" % i for i in by_rule[r]]), cell(["`%s`" % n for n in rb]),
                    caught, zcaught))
    L.append("")
    L.append("## Bugs")
    L.append("")
    L.append("Each defect of `vterm --bug` breaks one rule; the scenarios of that rule must fail "
             "under it.")
    L.append("")
    L.append("| bug | rule | what it breaks | failing scenarios of its rule |")
    L.append("|---|---|---|---|")
    for b in bugs:
        got = own[b["name"]]
        txt = cell(["`%s`" % i for i in got])
        if not got and b["rule"] in KNOWN_GAPS:
            txt = "none: known gap (rule %d)" % b["rule"]
        L.append("| `%s` | %d | %s | %s |" % (b["name"], b["rule"], b["what"], txt))
    L.append("")
    L.append("## Scenarios")
    L.append("")
    L.append("| scenario | rules | bugs of its rules it catches |")
    L.append("|---|---|---|")
    for i in sorted(scenarios):
        rules = sorted(scenarios[i]["rules"])
        mine = [n for n in sorted(detections) if i in detections[n] and bug_rule[n] in rules]
        L.append("| `%s` | %s | %s |" % (i, ", ".join(str(r) for r in rules) or "—",
                                        cell(["`%s`" % n for n in mine])))
    L.append("")
    L.extend(contract_lines)
    L.extend(render_protocols(bugs, scenarios, model, zmodel, timing["zvt_bench"]))
    L.append("## Gaps and limits")
    L.append("")
    for r, why in KNOWN_GAPS.items():
        L.append("- Rule %d (%s) has no scenario: %s." % (r, RULES[r], why))
    for text in LIMITS:
        L.append("- " + text)
    L.append("")
    L.append(BEGIN_UNCHECKED)
    L.append("## Last run (not compared by the check: timings and incidental detections vary)")
    L.append("")
    L.append("- %d scenarios; RIG-ECR: %d runs (the correct terminal and %d bugs) on %s; ZVT: "
             "%d runs on %s; %d at a time."
             % (len(scenarios), len(runs) + 1, len(runs), timing["bench"], len(zruns) + 1,
                timing["zvt_bench"], timing["jobs"]))
    for label, r in (("RIG-ECR", base), ("ZVT", zbase)):
        L.append("- Library on the correct terminal over %s: %.1f s wall (rig's own figure %.1f s)."
                 % (label, r.wall_s or 0, (r.results or {}).get("duration_ms", 0) / 1000.0))
    L.append("- Whole matrix: %.1f s wall." % timing["matrix_s"])
    L.append("")
    L.append("Every scenario that fails under each bug (those of other rules included), per "
             "protocol:")
    L.append("")
    L.append("| bug | rule | RIG-ECR: failing scenarios | wall s | ZVT: failing scenarios | wall s |")
    L.append("|---|---|---|---|---|---|")
    for b in bugs:
        run, zrun = runs[b["name"]], zruns.get(b["name"])
        L.append("| `%s` | %d | %s | %.1f | %s | %s |"
                 % (b["name"], b["rule"], cell(["`%s`" % i for i in detections[b["name"]]]),
                    run.wall_s or 0, cell(["`%s`" % i for i in zmodel["detections"][b["name"]]]),
                    "%.1f" % zrun.wall_s if zrun else "not run"))
    L.append(END_UNCHECKED)
    L.append("")
    return "\n".join(L)


def checked_part(text):
    out, skipping = [], False
    for line in text.splitlines():
        if line.strip() == BEGIN_UNCHECKED:
            skipping = True
            continue
        if line.strip() == END_UNCHECKED:
            skipping = False
            continue
        if not skipping:
            out.append(line.rstrip())
    while out and not out[-1]:
        out.pop()
    return out


def summary_table(bugs, base, zbase, model, zmodel):
    own, detections = model["own"], model["detections"]
    rows = [("bug", "rule", "own-rule catches", "all failing", "ZVT own-rule catches", "ZVT all")]
    rows.append(("(correct)", "-", "-", str(len(base.failed()) + len(base.errored())) + " not passed",
                 "-", str(len(zbase.failed()) + len(zbase.errored())) + " not passed"))
    for b in bugs:
        n = b["name"]
        mark = ", ".join(own[n]) if own[n] else ("known gap" if b["rule"] in KNOWN_GAPS else "NONE")
        if zmodel["own"][n]:
            zmark = ", ".join(zmodel["own"][n])
        else:
            zmark = "not observable" if n in zmodel["unobservable"] else "NONE"
        rows.append((n, str(b["rule"]), mark, str(len(detections[n])), zmark,
                     str(len(zmodel["detections"][n]))))
    w = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    for r in rows:
        print("  " + "  ".join(r[k].ljust(w[k]) for k in range(len(r))).rstrip())


def main(argv):
    args = parse_args(argv)
    args.rig = os.path.abspath(args.rig)
    args.vterm = os.path.abspath(args.vterm)
    rig_dir = os.path.dirname(args.rig)
    if os.path.dirname(args.vterm) != rig_dir:
        print("matrix: warning: the bench starts %s/vterm, not %s" % (rig_dir, args.vterm),
              file=sys.stderr)
    bugs = list_bugs(args.vterm)
    wanted = set(args.bug) | {n.strip() for n in args.bugs.split(",") if n.strip()}
    if wanted:
        unknown = wanted - {b["name"] for b in bugs}
        if unknown:
            raise SystemExit("matrix: unknown bug(s): " + ", ".join(sorted(unknown)))
        bugs = [b for b in bugs if b["name"] in wanted]
    partial = bool(wanted)

    out_root = args.reuse or args.out or tempfile.mkdtemp(prefix="posrig-matrix-")
    os.makedirs(out_root, exist_ok=True)
    base = Run(None, os.path.join(out_root, "correct"), "RIG-ECR", args.bench)
    runs = {b["name"]: Run(b["name"], os.path.join(out_root, b["name"]), "RIG-ECR", args.bench)
            for b in bugs}
    zbase = Run(None, os.path.join(out_root, "zvt", "correct"), "ZVT", args.zvt_bench)
    zruns = {}
    print("matrix: RIG-ECR %d runs (correct terminal + %d bugs), then ZVT the same with the "
          "scenarios it does not skip; %d at a time; reports in %s"
          % (len(runs) + 1, len(runs), args.jobs, out_root), flush=True)
    lock = threading.Lock()
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        # The correct ZVT run first: the scenarios it did not skip are all a defect's ZVT run
        # needs to run (a skip depends on the bench, not on the firmware).
        zfuture = pool.submit(do_run, args, zbase, lock)
        futures = [pool.submit(do_run, args, r, lock) for r in [base] + list(runs.values())]
        zfuture.result()
        files = sorted({s["file"] for s in (zbase.results or {}).get("scenarios", [])
                        if s["status"] != "skipped"})
        if files and not zbase.error:
            for b in bugs:
                zruns[b["name"]] = Run(b["name"], os.path.join(out_root, "zvt", b["name"]), "ZVT",
                                       args.zvt_bench, files)
                futures.append(pool.submit(do_run, args, zruns[b["name"]], lock))
        for f in futures:
            f.result()
    matrix_s = time.monotonic() - start

    # The scenarios and their rules, from the correct run (or any run that has results).
    source = next((r for r in [base] + list(runs.values()) if r.results), None)
    if source is None:
        print("matrix: no run produced results", file=sys.stderr)
        for r in [base] + list(runs.values()):
            print("---- %s\n%s" % (r.label, r.log[-3000:]), file=sys.stderr)
        return 1
    scenarios = {s["id"]: {"rules": rule_tags(s.get("tags", []))} for s in source.results["scenarios"]}

    problems, model = analyse(bugs, base, runs, scenarios, partial)
    zproblems, zmodel = analyse_zvt(bugs, zbase, zruns, scenarios, model, partial)
    problems += zproblems
    # 6. The contract, from the correct terminal's RIG-ECR run.
    exercised, table = contract.model(base.results, args.root)
    if not base.error:
        problems += contract.problems(exercised, table)
    print("\nmatrix: %d scenarios (%d run over ZVT); correct-terminal library %.1f s wall "
          "(ZVT %.1f s); whole matrix %.1f s wall"
          % (len(scenarios), len(zmodel["ran"]), base.wall_s or 0, zbase.wall_s or 0, matrix_s))
    summary_table(bugs, base, zbase, model, zmodel)
    for r in sorted(KNOWN_GAPS):
        print("  known gap: rule %d: %s" % (r, KNOWN_GAPS[r]))

    doc_path = os.path.join(args.root, args.doc)
    if not partial and (args.write or args.check):
        doc = render_doc(bugs, base, runs, scenarios, model,
                         {"jobs": args.jobs, "bench": args.bench, "zvt_bench": args.zvt_bench,
                          "matrix_s": matrix_s}, zbase, zruns, zmodel,
                         contract.render(exercised, table))
        if args.write:
            with open(doc_path + ".tmp", "w") as f:
                f.write(doc)
            os.replace(doc_path + ".tmp", doc_path)
            print("matrix: wrote %s" % doc_path)
        else:
            try:
                with open(doc_path) as f:
                    have = f.read()
            except OSError:
                have = ""
            want_lines, have_lines = checked_part(doc), checked_part(have)
            if want_lines != have_lines:
                diff = difflib.unified_diff(have_lines, want_lines, args.doc + " (committed)",
                                            args.doc + " (this run)", lineterm="")
                problems.append("%s is out of date; regenerate it with matrix.py --write:\n%s"
                                % (args.doc, "\n".join(diff)))
    if problems:
        print("\nmatrix: FAILED (reports kept in %s)" % out_root)
        for p in problems:
            print("  - " + p)
        for r in (base, zbase):
            if not r.error and r.exit_code != 0:
                print("\n---- the correct terminal's scenarios that did not pass over %s\n%s"
                      % (r.protocol, not_passed_text(r)))
                print("\n---- rig output for the correct terminal over %s (tail)\n%s"
                      % (r.protocol, r.log[-4000:]))
        return 1
    print("\nmatrix: OK")
    if not args.out and not args.reuse:
        shutil.rmtree(out_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
