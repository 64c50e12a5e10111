#include "rig/report/html_assets.h"

namespace rig::report {

const char* html_css() {
  return R"CSS(
:root{--pass:#2e7d32;--fail:#c62828;--error:#e65100;--flaky:#7b1fa2;--skipped:#757575;
--ink:#1f2328;--muted:#59636e;--line:#d8dee4;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;padding:0 24px 40px}
code,.mono,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
header.run{display:flex;align-items:center;gap:18px;padding:18px 0 10px;border-bottom:1px solid var(--line)}
.verdict{font-weight:700;font-size:20px;letter-spacing:.04em;color:#fff;padding:8px 16px;border-radius:6px}
header.pass .verdict{background:var(--pass)}header.fail .verdict{background:var(--fail)}
header.error .verdict{background:var(--error)}header.flaky .verdict{background:var(--flaky)}
h1{font-size:20px;margin:0}.when{color:var(--muted)}
.banner{margin:10px 0;padding:8px 12px;border-radius:6px;border:1px solid var(--line)}
.banner.vars.changed{background:#fff4ce;border-color:#e0b300;font-size:15px}
.banner.vars.clean{background:var(--bg);color:var(--muted)}
.banner.bad{background:#fdecea;border-color:#f5c2c0}
dl.facts{display:flex;flex-wrap:wrap;gap:4px 24px;margin:10px 0 14px}
dl.facts div{display:flex;gap:6px}dt{color:var(--muted)}dd{margin:0}
code.changed{background:#ffe08a;padding:0 3px;border-radius:3px}
.st-error{color:var(--fail);font-weight:600}
.summary{position:sticky;top:0;background:#fff;z-index:2;padding:8px 0;border-bottom:1px solid var(--line)}
.bar{display:flex;height:10px;border-radius:5px;overflow:hidden;background:var(--bg);margin-bottom:8px}
.seg.pass{background:var(--pass)}.seg.fail{background:var(--fail)}.seg.error{background:var(--error)}
.seg.flaky{background:var(--flaky)}.seg.skipped{background:var(--skipped)}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.chip{border:1px solid var(--line);border-radius:14px;padding:2px 10px;cursor:pointer;user-select:none}
.chip.fail{color:var(--fail)}.chip.error{color:var(--error)}.chip.flaky{color:var(--flaky)}
.chip.pass{color:var(--pass)}.chip.skipped{color:var(--skipped)}
select,input[type=search]{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:6px}
input[type=search]{min-width:240px}#shown{color:var(--muted);margin-left:auto}
table{border-collapse:collapse;width:100%}
th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;padding:6px 8px;border-bottom:1px solid var(--line)}
td{padding:6px 8px;border-bottom:1px solid #eef1f4;vertical-align:top}
tr.sc{cursor:pointer}tr.sc:hover{background:#f3f6f9}tr.sc.open{background:#eef3f8}
tr.sc td.msg{color:var(--muted);max-width:560px;overflow-wrap:anywhere}
tr.sc.fail td.msg,tr.sc.error td.msg{color:var(--ink)}
.badge{display:inline-block;min-width:56px;text-align:center;font-weight:600;font-size:12px;color:#fff;border-radius:4px;padding:1px 6px;text-transform:uppercase}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}.badge.error{background:var(--error)}
.badge.flaky{background:var(--flaky)}.badge.skipped{background:var(--skipped)}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:2px}
.dot.pass{background:var(--pass)}.dot.fail{background:var(--fail)}.dot.error{background:var(--error)}
.dot.skipped{background:var(--skipped)}
tr.detail>td{background:#fbfcfd;padding:12px 16px 20px;border-bottom:2px solid var(--line)}
.attempts{display:flex;gap:6px;margin-bottom:8px}
button.attempt{font:inherit;font-size:12px;border:1px solid var(--line);background:#fff;border-radius:12px;padding:2px 10px;cursor:pointer}
button.attempt.on{border-color:var(--ink);font-weight:600}
button.attempt.fail{color:var(--fail)}button.attempt.error{color:var(--error)}button.attempt.pass{color:var(--pass)}
.attempt-head{margin:4px 0 8px}.muted{color:var(--muted)}
pre.message{white-space:pre-wrap;margin:6px 0;padding:8px 10px;border-left:4px solid var(--line);background:#fff}
pre.message.fail{border-color:var(--fail)}pre.message.error{border-color:var(--error)}
h4{margin:16px 0 6px;font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
table.eva th{width:auto}table.eva td:last-child{white-space:nowrap}table.eva td{background:#fff;white-space:pre-wrap;overflow-wrap:anywhere}
table.eva td.expected{background:#eef7ee}table.eva td.actual{background:#fdecea}
.lanes-box{background:#fff;border:1px solid var(--line);border-radius:6px;padding:4px}
svg.lanes{display:block;width:100%;height:auto}
svg .lane{fill:#fff}svg .lane.odd{fill:#f7f9fb}
svg .lane-label{font-size:12px;fill:var(--muted);font-weight:600}
svg .tick{stroke:#e3e8ee}svg .tick-label{font-size:10px;fill:var(--muted)}
svg .tick-label.strong{fill:var(--ink)}
svg .gap{fill:rgba(120,130,140,.12);stroke:none}svg .gap-label{font-size:14px;fill:var(--muted)}
svg .mark{cursor:pointer;stroke:#fff;stroke-width:.8}
svg .mark-label{font-size:10.5px;fill:var(--ink)}
svg .ecr_out{fill:#1565c0}svg .ecr_in{fill:#6a1b9a}svg .ecr_in.bad,svg .ecr_out.bad{fill:var(--fail)}
svg .result{fill:#00695c}svg .event{fill:#ef6c00}svg .prompt{fill:#8d6e63}svg .display{fill:#546e7a}
svg .receipt{fill:#5d4037}svg .status{fill:#90a4ae}
svg .host_message{fill:#2e7d32}svg .host_message.to_terminal{fill:#66bb6a}
svg .wallet_message{fill:#00838f}svg .wallet_message.to_terminal{fill:#4dd0e1}
svg .fault_applied{fill:var(--fail)}svg .fault_cleared{fill:var(--pass)}svg .armed{fill:#fff;stroke:var(--fail);stroke-width:1.5}
svg .step{fill:#37474f}svg .note,svg .fixture{fill:#b0bec5}svg .infra{fill:var(--error)}
svg .fault-window{fill:rgba(198,40,40,.16);stroke:rgba(198,40,40,.5)}
svg .fault-window.open{fill:rgba(198,40,40,.08);stroke-dasharray:3 2}
svg .fail-window{fill:rgba(198,40,40,.07)}
svg .fail-line{stroke:var(--fail);stroke-width:2}
svg .fail-label{font-size:11px;font-weight:700;fill:var(--fail)}
.fail-caption{margin:2px 0 6px;color:var(--fail)}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:var(--muted);margin-bottom:4px}
.legend svg{vertical-align:middle}
.entries-box{max-height:340px;overflow:auto;border:1px solid var(--line);border-radius:6px;background:#fff}
table.entries td{padding:2px 8px;font-size:12px;border-bottom:1px solid #f0f2f4}
table.entries td.num{white-space:nowrap;text-align:right;color:var(--muted)}
table.entries td.mono{overflow-wrap:anywhere}
table.entries tr.fail-row td{background:#fdecea;color:var(--fail);font-weight:700}
table.entries tr.picked td{background:#fff4ce}
table.entries tr.infra td{color:var(--error)}
table.small td,table.small th{font-size:12.5px;padding:3px 8px}
td.ok{color:var(--pass)}td.bad{color:var(--fail);font-weight:600}
footer{margin-top:24px;color:var(--muted);font-size:12px}
.empty{color:var(--muted)}
)CSS";
}

const char* html_script() {
  return R"JS(
(function () {
  "use strict";
  var errors = [];
  function noteError(msg) {
    errors.push(String(msg));
    document.body.setAttribute("data-errors", errors.join(" | "));
  }
  window.addEventListener("error", function (e) { noteError(e.message || e); });

  var SVGNS = "http://www.w3.org/2000/svg";
  function setAll(n, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") n.textContent = String(v);
      else if (k === "onclick") n.addEventListener("click", v);
      else n.setAttribute(k, String(v));
    });
  }
  function append(n, kids) {
    if (kids === null || kids === undefined) return;
    if (!Array.isArray(kids)) kids = [kids];
    kids.forEach(function (k) {
      if (k === null || k === undefined || k === false) return;
      n.appendChild(typeof k === "string" ? document.createTextNode(k) : k);
    });
  }
  function el(tag, attrs, kids) { var n = document.createElement(tag); setAll(n, attrs); append(n, kids); return n; }
  function svg(tag, attrs, kids) { var n = document.createElementNS(SVGNS, tag); setAll(n, attrs); append(n, kids); return n; }
  function fmtMs(ms) {
    if (ms === undefined || ms === null) return "";
    if (ms >= 1000) return (ms / 1000).toFixed(2) + " s";
    return ms.toFixed(1) + " ms";
  }
  function fieldsText(f) {
    if (f === null || f === undefined) return "";
    if (typeof f !== "object") return String(f);
    return Object.keys(f).map(function (k) {
      var v = f[k];
      return k + "=" + (typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
    }).join("  ");
  }

  // ---- timeline lanes
  var LANES = [
    {key: "steps", label: "Steps"},
    {key: "ecr", label: "ECR link"},
    {key: "terminal", label: "Terminal"},
    {key: "host", label: "Host ISO 8583"},
    {key: "wallet", label: "Wallet"},
    {key: "faults", label: "Faults"},
    {key: "rig", label: "Rig"}
  ];
  function isArmedNote(e) { return e.kind === "note" && /\barmed\b/.test((e.fields && e.fields.text) || ""); }
  function laneOf(e) {
    switch (e.kind) {
      case "step": return "steps";
      case "ecr_out": case "ecr_in": return "ecr";
      case "result": case "event": case "prompt": case "display": case "receipt": case "status": return "terminal";
      case "host_message": return "host";
      case "wallet_message": return "wallet";
      case "fault_applied": case "fault_cleared": return "faults";
      default: return isArmedNote(e) ? "faults" : "rig";
    }
  }
  function faultName(e) {
    var f = e.fields || {};
    if (f.fault) return String(f.fault);
    var m = /fault \d+ (?:armed|fired|cleared): (\S+)/.exec(f.text || "");
    return m ? m[1] : "";
  }
  function faultKey(e) {
    var f = e.fields || {};
    var m = /fault (\d+)/.exec(f.text || "");
    return (f.station || "") + "/" + (f.driver || "") + "/" + (f.id !== undefined ? f.id : (m ? m[1] : faultName(e)));
  }
  function ecrKind(e) { return String((e.fields && (e.fields.kind || e.fields.name)) || ""); }
  function label(e, stepSummary) {
    var f = e.fields || {};
    switch (e.kind) {
      case "step": return stepSummary[f.where] || f.step || "step";
      case "ecr_out": case "ecr_in":
        if (f.payload) return String(f.payload).split("|")[0];
        return ecrKind(e).toUpperCase();
      case "result": return "RESULT " + (f.status || "");
      case "event": return String(f.name || "EVENT");
      case "prompt": return "PROMPT " + (f.kind || "");
      case "display": return String(f.text || "").replace(/\|/g, " / ");
      case "receipt": return "RECEIPT " + (f.copy || "");
      case "status": return "STATUS " + (f.state || "");
      case "host_message": return (f.mti || "") + (f.fields && f.fields["39"] ? " rc " + f.fields["39"] : "");
      case "wallet_message": return String(f.path || (f.status !== undefined ? "HTTP " + f.status : "wallet"));
      case "fault_applied": return "fired " + faultName(e);
      case "fault_cleared": return "cleared " + faultName(e);
      case "note": return isArmedNote(e) ? "armed " + faultName(e) : String(f.text || "note");
      case "infra": return String(f.text || "infra");
      case "fixture": return String((f.request && f.request.cmd) || f.command || "fixture");
      default: return String(e.kind);
    }
  }
  function markerClass(e) {
    if (e.kind === "ecr_in" || e.kind === "ecr_out") {
      var k = ecrKind(e).toLowerCase();
      return e.kind + (k === "nak" || k === "bad_frame" || k === "noise" || k === "bad" ? " bad" : "");
    }
    if (e.kind === "host_message" || e.kind === "wallet_message") return e.kind + " " + ((e.fields && e.fields.direction) || "");
    if (isArmedNote(e)) return "armed";
    return e.kind;
  }
  function failingMoment(d, status) {
    var checks = d.checks || [], steps = d.steps || [], tl = d.timeline || [], i;
    for (i = 0; i < checks.length; i++) {
      if (!checks[i].passed) {
        var c = checks[i], from = null;
        steps.forEach(function (s) { if (s.where === c.where) from = s.start_ms; });
        return {t: c.at_ms, from: from, label: "check failed: " + c.what, check: c};
      }
    }
    for (i = 0; i < steps.length; i++) {
      if (!steps[i].ok) return {t: steps[i].end_ms, from: steps[i].start_ms, label: "step failed: " + (steps[i].summary || steps[i].name)};
    }
    if (status === "error" || status === "fail") {
      for (i = 0; i < tl.length; i++) {
        if (tl[i].kind === "infra") return {t: tl[i].t_ms, from: null, label: "infrastructure: " + ((tl[i].fields || {}).text || "")};
      }
    }
    return null;
  }
  function niceStep(span) {
    var raw = span / 8, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }
  // A time scale on which long stretches where nothing happens are drawn short (a break),
  // so that the busy moments of a scenario that mostly waits stay readable.
  function makeScale(times, tmax, left, plot) {
    var ts = times.filter(function (t) { return isFinite(t) && t >= 0 && t <= tmax; });
    ts.push(0, tmax);
    ts.sort(function (a, b) { return a - b; });
    var gapMin = Math.max(tmax * 0.06, 0.5), breakW = 30, segs = [], live = 0, gaps = 0;
    for (var i = 1; i < ts.length; i++) {
      var a = ts[i - 1], b = ts[i];
      if (b <= a) continue;
      var gap = b - a > gapMin;
      segs.push({a: a, b: b, gap: gap});
      if (gap) gaps++; else live += b - a;
    }
    var k = live > 0 ? Math.max(0, plot - gaps * breakW) / live : 0;
    if (live <= 0 || k <= 0) { segs = [{a: 0, b: tmax, gap: false}]; k = plot / tmax; gaps = 0; }
    var x0 = left;
    segs.forEach(function (s) { s.x = x0; s.w = s.gap ? breakW : (s.b - s.a) * k; x0 += s.w; });
    function x(t) {
      t = Math.max(0, Math.min(tmax, t || 0));
      for (var j = 0; j < segs.length; j++) {
        var s = segs[j];
        if (t <= s.b || j === segs.length - 1) return s.x + (s.b > s.a ? (t - s.a) / (s.b - s.a) : 0) * s.w;
      }
      return left + plot;
    }
    return {x: x, segs: segs, live: live > 0 ? live : tmax};
  }
  function drawLanes(d, status, stepSummary, onPick) {
    var tl = d.timeline || [], steps = d.steps || [];
    var fail = failingMoment(d, status);
    var tmax = 1, times = [];
    tl.forEach(function (e) { tmax = Math.max(tmax, e.t_ms || 0); times.push(e.t_ms || 0); });
    steps.forEach(function (s) { tmax = Math.max(tmax, s.end_ms || 0); times.push(s.start_ms, s.end_ms); });
    if (fail) { tmax = Math.max(tmax, fail.t); times.push(fail.t); if (fail.from !== null) times.push(fail.from); }
    tmax *= 1.02;
    var W = 1100, left = 118, right = 12, laneH = 34, top = 6;
    var axisY = top + LANES.length * laneH, H = axisY + 24, plot = W - left - right;
    var scale = makeScale(times, tmax, left, plot), x = scale.x;
    var root = svg("svg", {"class": "lanes", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "timeline in lanes"});
    var laneY = {};
    LANES.forEach(function (l, i) {
      var y = top + i * laneH;
      laneY[l.key] = y + laneH / 2 + 5;
      root.appendChild(svg("rect", {x: 0, y: y, width: W, height: laneH, "class": i % 2 ? "lane odd" : "lane"}));
      root.appendChild(svg("text", {x: 6, y: y + laneH / 2 + 4, "class": "lane-label", text: l.label}));
    });
    var lastTickX = -1e9, step = niceStep(scale.live);
    function tickText(t) {
      if (t >= 1000) return (t / 1000).toFixed(step < 10 ? 3 : step < 100 ? 2 : 1) + " s";
      return t.toFixed(step < 1 ? 1 : 0) + " ms";
    }
    function tick(t, strong) {
      var tx = x(t);
      if (tx - lastTickX < 52) return;
      lastTickX = tx;
      root.appendChild(svg("line", {x1: tx, x2: tx, y1: top, y2: axisY + 3, "class": "tick"}));
      root.appendChild(svg("text", {x: tx, y: axisY + 16, "class": strong ? "tick-label strong" : "tick-label", "text-anchor": "middle", text: tickText(t)}));
    }
    scale.segs.forEach(function (s) {
      if (s.gap) {
        root.appendChild(svg("rect", {x: s.x + 3, y: top, width: s.w - 6, height: axisY - top, "class": "gap"},
          svg("title", {text: "nothing happened for " + fmtMs(s.b - s.a) + " (drawn short)"})));
        root.appendChild(svg("text", {x: s.x + s.w / 2, y: axisY + 16, "class": "gap-label", "text-anchor": "middle", text: "\u2248"}));
        lastTickX = s.x + s.w - 30;
        tick(s.b, true);
        return;
      }
      for (var t = Math.ceil(s.a / step) * step; t <= s.b; t += step) tick(t, false);
    });
    if (fail) {
      if (fail.from !== null && fail.from !== undefined && fail.t > fail.from) {
        root.appendChild(svg("rect", {x: x(fail.from), y: top, width: Math.max(1, x(fail.t) - x(fail.from)), height: axisY - top, "class": "fail-window"},
          svg("title", {text: "waited " + fmtMs(fail.t - fail.from) + " for: " + fail.label})));
      }
    }
    var open = {};
    function faultBar(a, t1, cls, title) {
      root.appendChild(svg("rect", {x: x(a.t_ms), y: laneY.faults - 7, width: Math.max(2, x(t1) - x(a.t_ms)), height: 14, "class": cls}, svg("title", {text: title})));
    }
    tl.forEach(function (e) {
      if (e.kind === "fault_applied") open[faultKey(e)] = e;
      if (e.kind === "fault_cleared" && open[faultKey(e)]) {
        var a = open[faultKey(e)];
        faultBar(a, e.t_ms, "fault-window", faultName(a) + " active " + fmtMs(a.t_ms) + " \u2192 " + fmtMs(e.t_ms));
        delete open[faultKey(e)];
      }
    });
    Object.keys(open).forEach(function (k) {
      faultBar(open[k], tmax, "fault-window open", faultName(open[k]) + " never cleared in this scenario's timeline");
    });
    var lastLabelEnd = {};
    tl.forEach(function (e, i) {
      var lane = laneOf(e), cx = x(e.t_ms), cy = laneY[lane];
      var cls = "mark " + markerClass(e), shape;
      if (e.kind === "ecr_out") shape = svg("path", {d: "M" + (cx - 4) + " " + (cy - 5) + "L" + (cx + 5) + " " + cy + "L" + (cx - 4) + " " + (cy + 5) + "Z", "class": cls});
      else if (e.kind === "ecr_in") shape = svg("path", {d: "M" + (cx + 4) + " " + (cy - 5) + "L" + (cx - 5) + " " + cy + "L" + (cx + 4) + " " + (cy + 5) + "Z", "class": cls});
      else if (lane === "faults") shape = svg("path", {d: "M" + cx + " " + (cy - 6) + "L" + (cx + 6) + " " + cy + "L" + cx + " " + (cy + 6) + "L" + (cx - 6) + " " + cy + "Z", "class": cls});
      else if (lane === "steps") shape = svg("rect", {x: cx - 1.5, y: cy - 7, width: 3, height: 14, "class": cls});
      else shape = svg("circle", {cx: cx, cy: cy, r: 4.5, "class": cls});
      shape.appendChild(svg("title", {text: fmtMs(e.t_ms) + "  " + e.kind + "  " + fieldsText(e.fields).slice(0, 400)}));
      shape.addEventListener("click", function () { onPick(i); });
      root.appendChild(shape);
      if (lane === "ecr" && !(e.fields && e.fields.payload) && markerClass(e).indexOf("bad") < 0) return;
      var text = label(e, stepSummary);
      if (!text || (lastLabelEnd[lane] || 0) > cx - 2) return;
      var shown = text.length > 26 ? text.slice(0, 25) + "\u2026" : text;
      var width = shown.length * 6 + 6;
      if (cx + 4 + width > W) return;
      root.appendChild(svg("text", {x: cx - 3, y: cy - 9, "class": "mark-label", text: shown}));
      lastLabelEnd[lane] = cx + width;
    });
    if (fail) {
      root.appendChild(svg("line", {x1: x(fail.t), x2: x(fail.t), y1: top, y2: axisY + 3, "class": "fail-line"},
        svg("title", {text: fmtMs(fail.t) + "  " + fail.label})));
      root.appendChild(svg("text", {x: x(fail.t), y: axisY + 16, "class": "fail-label", "text-anchor": "middle", text: "\u2716"}));
    }
    return {svg: root, fail: fail};
  }
  function legend() {
    function item(shape, text) { return el("span", null, [svg("svg", {width: 14, height: 14, viewBox: "0 0 14 14"}, shape), " " + text]); }
    return el("div", {"class": "legend"}, [
      item(svg("path", {d: "M3 2L12 7L3 12Z", "class": "ecr_out"}), "to terminal"),
      item(svg("path", {d: "M11 2L2 7L11 12Z", "class": "ecr_in"}), "from terminal"),
      item(svg("circle", {cx: 7, cy: 7, r: 4.5, "class": "event"}), "terminal event / prompt / result"),
      item(svg("circle", {cx: 7, cy: 7, r: 4.5, "class": "host_message"}), "host / wallet message"),
      item(svg("path", {d: "M7 1L13 7L7 13L1 7Z", "class": "armed"}), "fault armed"),
      item(svg("path", {d: "M7 1L13 7L7 13L1 7Z", "class": "fault_applied"}), "fired"),
      item(svg("path", {d: "M7 1L13 7L7 13L1 7Z", "class": "fault_cleared"}), "cleared"),
      item(svg("rect", {x: 6, y: 0, width: 2, height: 14, "class": "fail-line", fill: "#c62828"}), "failing moment (shaded: the wait before it)")
    ]);
  }
  function table(cls, head, rows) {
    return el("table", {"class": cls}, [
      el("thead", null, el("tr", null, head.map(function (h) { return el("th", {text: h}); }))),
      el("tbody", null, rows)
    ]);
  }
  // The engine's failure text reads "file:line:col: expected … within …; saw …": expected is
  // what comes before "; saw", actual what comes after.
  function splitFailure(c) {
    var text = String(c.actual || ""), at = text.indexOf("; saw ");
    var expected = c.expected, actual = text;
    if (at >= 0) {
      expected = text.slice(0, at).replace(/^\S+:\d+:\d+: /, "");
      actual = "saw " + text.slice(at + 6);
    }
    return {expected: expected, actual: actual};
  }
  function evaTable(fail) {
    if (!fail || !fail.check) return null;
    var c = fail.check, parts = splitFailure(c);
    return table("eva", ["check", "expected", "actual", "where", "at"], [el("tr", null, [
      el("td", {"class": "mono", text: c.what}),
      el("td", {"class": "mono expected", text: parts.expected}),
      el("td", {"class": "mono actual", text: parts.actual}),
      el("td", {"class": "mono", text: c.where}),
      el("td", {text: fmtMs(c.at_ms)})
    ])]);
  }
  function stepsTable(d) {
    return table("small", ["#", "start", "took", "", "where", "step", "why not"], (d.steps || []).map(function (s, i) {
      return el("tr", null, [
        el("td", {text: String(i + 1)}), el("td", {text: fmtMs(s.start_ms)}), el("td", {text: fmtMs(s.end_ms - s.start_ms)}),
        el("td", {"class": s.ok ? "ok" : "bad", text: s.ok ? "\u2714" : "\u2716"}),
        el("td", {"class": "mono", text: s.where}), el("td", {text: s.summary || s.name}),
        el("td", {"class": "mono", text: s.message || ""})
      ]);
    }));
  }
  function checksTable(d) {
    return table("small", ["", "check", "expected", "actual", "where", "at"], (d.checks || []).map(function (c) {
      return el("tr", null, [
        el("td", {"class": c.passed ? "ok" : "bad", text: c.passed ? "\u2714" : "\u2716"}),
        el("td", {"class": "mono", text: c.what}), el("td", {"class": "mono", text: c.expected}),
        el("td", {"class": "mono", text: c.passed ? "held" : c.actual}), el("td", {"class": "mono", text: c.where}),
        el("td", {text: fmtMs(c.at_ms)})
      ]);
    }));
  }
  function entriesTable(d, fail, stepSummary) {
    var tl = d.timeline || [], tbody = el("tbody"), failRow = null;
    function addFail() {
      failRow = el("tr", {"class": "fail-row"}, el("td", {colspan: 4, text: "\u2716 " + fmtMs(fail.t) + "  " + fail.label}));
      tbody.appendChild(failRow);
    }
    tl.forEach(function (e, i) {
      if (fail && !failRow && (e.t_ms || 0) > fail.t) addFail();
      var lane = laneOf(e);
      tbody.appendChild(el("tr", {"class": "entry " + e.kind, "data-i": i}, [
        el("td", {"class": "num", text: fmtMs(e.t_ms)}), el("td", {text: lane}), el("td", {text: e.kind}),
        el("td", {"class": "mono", text: label(e, stepSummary) + "    " + fieldsText(e.fields)})
      ]));
    });
    if (fail && !failRow) addFail();
    var box = el("div", {"class": "entries-box"}, el("table", {"class": "entries"}, [
      el("thead", null, el("tr", null, [el("th", {text: "time"}), el("th", {text: "lane"}), el("th", {text: "kind"}), el("th", {text: "what"})])),
      tbody]));
    return {box: box, tbody: tbody, failRow: failRow};
  }
  function renderAttempt(td, sc, n) {
    td.textContent = "";
    var a = sc.attempts[n];
    if (sc.attempts.length > 1) {
      td.appendChild(el("div", {"class": "attempts"}, sc.attempts.map(function (b, m) {
        return el("button", {type: "button", "class": "attempt " + b.status + (m === n ? " on" : ""),
          text: "#" + b.attempt + " " + b.status + (b.station ? " \u00b7 " + b.station : ""),
          onclick: function (ev) { ev.stopPropagation(); renderAttempt(td, sc, m); }});
      })));
    }
    var facts = [sc.file, "attempt " + a.attempt + " of " + sc.attempts.length, "station " + (a.station || "-"), fmtMs(a.duration_ms)];
    if (a.terminal_version) facts.push("firmware " + a.terminal_version);
    if (a.started_at) facts.push(a.started_at);
    if (sc.tags && sc.tags.length) facts.push("tags " + sc.tags.join(", "));
    td.appendChild(el("div", {"class": "attempt-head"}, [el("span", {"class": "badge " + a.status, text: a.status}), " ",
      el("b", {text: sc.id}), " \u2014 " + sc.name, el("div", {"class": "muted", text: facts.join(" \u00b7 ")})]));
    if (a.message) td.appendChild(el("pre", {"class": "message " + a.status, text: a.message}));
    var d = a.detail;
    if (!d) {
      td.appendChild(el("p", {"class": "muted", text: a.status === "skipped" ? "Not run." :
        "The page keeps one passed attempt per scenario that always passed; results.json has every attempt."}));
      return;
    }
    if (!(d.steps || []).length && !(d.timeline || []).length) {
      td.appendChild(el("p", {"class": "muted", text: "Nothing ran on a station for this attempt."}));
      return;
    }
    var stepSummary = {};
    (d.steps || []).forEach(function (s) { stepSummary[s.where] = s.summary || s.name; });
    var entries = null;
    function pick(i) {
      if (!entries) return;
      var row = entries.tbody.querySelector('tr[data-i="' + i + '"]');
      if (!row) return;
      Array.prototype.forEach.call(entries.tbody.querySelectorAll("tr.picked"), function (r) { r.classList.remove("picked"); });
      row.classList.add("picked");
      entries.box.scrollTop = Math.max(0, row.offsetTop - entries.box.clientHeight / 3);
    }
    var lanes = drawLanes(d, a.status, stepSummary, pick);
    var eva = evaTable(lanes.fail);
    if (eva) { td.appendChild(el("h4", {text: "Expected vs actual"})); td.appendChild(eva); }
    td.appendChild(el("h4", {text: "Timeline"}));
    if (lanes.fail) {
      var f = lanes.fail;
      td.appendChild(el("p", {"class": "fail-caption"}, [el("b", {text: "\u2716 " + fmtMs(f.t) + "  " + f.label}),
        f.from !== null && f.from !== undefined && f.t > f.from ? " \u2014 waited from " + fmtMs(f.from) + " (shaded)" : ""]));
    }
    td.appendChild(legend());
    td.appendChild(el("div", {"class": "lanes-box"}, lanes.svg));
    td.appendChild(el("h4", {text: "Steps"}));
    td.appendChild(stepsTable(d));
    if ((d.checks || []).length) { td.appendChild(el("h4", {text: "Checks"})); td.appendChild(checksTable(d)); }
    td.appendChild(el("h4", {text: "Timeline entries (" + (d.timeline || []).length + ")"}));
    entries = entriesTable(d, lanes.fail, stepSummary);
    td.appendChild(entries.box);
    if (entries.failRow) entries.box.scrollTop = Math.max(0, entries.failRow.offsetTop - entries.box.clientHeight / 2);
  }

  // ---- the scenario table
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.sc"));
  function detailOf(row) { return document.getElementById("detail-" + row.getAttribute("data-k")); }
  function toggle(row, force) {
    var det = detailOf(row);
    var open = force !== undefined ? force : det.hidden;
    det.hidden = !open;
    row.classList.toggle("open", open);
    if (open && !det.getAttribute("data-drawn")) {
      var sc = JSON.parse(document.getElementById("sc-" + row.getAttribute("data-k")).textContent);
      var first = sc.attempts.length - 1;
      for (var i = 0; i < sc.attempts.length; i++) {
        if (sc.attempts[i].status === "fail" || sc.attempts[i].status === "error") { first = i; break; }
      }
      renderAttempt(det.firstElementChild, sc, first);
      det.setAttribute("data-drawn", "1");
    }
  }
  rows.forEach(function (row) {
    row.addEventListener("click", function () { toggle(row); });
    row.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(row); }
    });
  });

  function fillSelect(id, attr) {
    var sel = document.getElementById(id), values = {};
    rows.forEach(function (r) {
      (r.getAttribute(attr) || "").split(" ").forEach(function (v) { if (v) values[v] = true; });
    });
    Object.keys(values).sort().forEach(function (v) { sel.appendChild(el("option", {value: v, text: v})); });
    sel.addEventListener("change", apply);
  }
  function has(list, v) { return (" " + list + " ").indexOf(" " + v + " ") >= 0; }
  function apply() {
    var on = {};
    Array.prototype.forEach.call(document.querySelectorAll("#filters input[name=status]"), function (c) { on[c.value] = c.checked; });
    var fam = document.getElementById("f-family").value, st = document.getElementById("f-station").value;
    var tag = document.getElementById("f-tag").value, q = document.getElementById("f-text").value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (r) {
      var ok = on[r.getAttribute("data-status")] && (!fam || r.getAttribute("data-family") === fam) &&
        (!st || has(r.getAttribute("data-station"), st)) && (!tag || has(r.getAttribute("data-tags"), tag)) &&
        (!q || r.getAttribute("data-text").indexOf(q) >= 0);
      r.hidden = !ok;
      detailOf(r).hidden = !(ok && r.classList.contains("open"));
      if (ok) shown++;
    });
    document.getElementById("shown").textContent = "showing " + shown + " of " + rows.length + " scenarios";
  }
  fillSelect("f-family", "data-family");
  fillSelect("f-station", "data-station");
  fillSelect("f-tag", "data-tags");
  Array.prototype.forEach.call(document.querySelectorAll("#filters input[name=status]"), function (c) { c.addEventListener("change", apply); });
  document.getElementById("f-text").addEventListener("input", apply);
  apply();
  if (rows.length && /^(fail|error|flaky)$/.test(rows[0].getAttribute("data-status"))) toggle(rows[0], true);
  document.body.setAttribute("data-ready", "1");
})();
)JS";
}

}  // namespace rig::report
