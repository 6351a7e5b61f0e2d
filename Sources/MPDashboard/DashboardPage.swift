#if Dashboard
/// The dashboard's one page: its styles and script inline (no CDN: users run it inside their
/// networks). It reads `/api/dashboard` once a second and draws every figure itself, the
/// throughput and latency charts in canvases; text from the database (job names, causes, stderr) goes into
/// the page as text nodes only, never as HTML.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mp-postgres dashboard</title>
<style>
:root { --fg: #1d2330; --muted: #6b7385; --line: #e2e5ec; --bg: #f6f7f9; --card: #fff;
        --done: #2f9e62; --run: #2d6cdf; --pend: #a3abbd; --fail: #d98a1c; --dead: #c9353f; --canc: #7a5ccf; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: #1d2330; color: #fff; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
header .meta { color: #b9c0d0; font-size: 12px; }
header .spacer { flex: 1; }
header input { font: inherit; padding: 3px 6px; border-radius: 4px; border: 1px solid #485066; background: #2a3142; color: #fff; width: 160px; }
main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: 1fr 1fr; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 8px; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { height: 14px; background: #eef0f4; border-radius: 7px; overflow: hidden; width: 180px; display: inline-flex; vertical-align: middle; }
.bar span { display: block; height: 100%; }
.bar .done { background: var(--done); } .bar .failed { background: var(--fail); } .bar .dead { background: var(--dead); }
.bar .cancelled { background: var(--canc); } .bar .running { background: var(--run); }
.pct { font-variant-numeric: tabular-nums; color: var(--muted); font-size: 12px; }
.state { font-size: 11px; padding: 1px 6px; border-radius: 9px; background: #eef0f4; }
.state.running { background: #e3ecfc; color: var(--run); } .state.finished { background: #e2f4ea; color: var(--done); }
.state.cancelled { background: #efe9fb; color: var(--canc); }
.stale { color: var(--dead); font-weight: 600; }
.letter { border-top: 1px solid var(--line); padding: 8px 0; }
.letter:first-child { border-top: 0; }
.letter .title { font-weight: 600; }
.attempt { margin: 4px 0 0 12px; }
.attempt .host { color: var(--muted); font-size: 12px; }
.attempt .cause { white-space: pre-wrap; }
pre.stderr { margin: 2px 0 0; padding: 4px 6px; background: #1d2330; color: #e6e9f0; border-radius: 4px; font-size: 12px; white-space: pre-wrap; overflow-x: auto; }
button { font: inherit; font-size: 12px; padding: 1px 8px; border: 1px solid var(--line); background: #fff; border-radius: 4px; cursor: pointer; }
button:hover { border-color: var(--run); color: var(--run); }
#error { display: none; grid-column: 1 / -1; background: #fde8ea; color: var(--dead); border: 1px solid #f3b8bd; padding: 8px 12px; border-radius: 8px; }
#notice { color: #b9c0d0; font-size: 12px; }
canvas { width: 100%; height: 180px; display: block; }
.legend { font-size: 12px; margin-bottom: 4px; } .legend span { margin-right: 10px; }
.latency-queue { font-size: 12px; color: var(--muted); margin-top: 6px; }
.empty { color: var(--muted); font-style: italic; }
</style>
</head>
<body data-updates="0">
<header>
  <h1>mp-postgres dashboard</h1>
  <span class="meta" id="database"></span>
  <span class="meta" id="age"></span>
  <span class="spacer"></span>
  <span id="notice"></span>
  <input id="token" type="password" placeholder="token for actions" autocomplete="off" hidden>
</header>
<main>
  <div id="error"></div>
  <section class="wide"><h2>Queues</h2>
    <table id="queues"><thead><tr><th>queue</th><th class="num">pending</th><th class="num">running</th><th class="num">done</th>
      <th class="num">failed</th><th class="num">dead</th><th class="num">cancelled</th><th class="num">open jobs</th>
      <th class="num">done/s</th><th class="num">failed/s</th><th class="num">dead/s</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="wide"><h2>Throughput, last hour (tasks per second)</h2><canvas id="chart" width="1200" height="180"></canvas></section>
  <section class="wide"><h2>Latency, last hour (seconds, per minute of the tasks that ended in it)</h2>
    <div class="legend"><span style="color:#2d6cdf">━ run p50</span> <span style="color:#9bb8ef">━ run p95</span>
      <span style="color:#d98a1c">━ wait p50</span> <span style="color:#f0c783">━ wait p95</span>
      <span class="pct">(run: claim to stored outcome; wait: queued to claim)</span></div>
    <div id="latency"></div></section>
  <section class="wide"><h2>Jobs</h2>
    <table id="jobs"><thead><tr><th>job</th><th>queue</th><th>state</th><th>progress</th><th class="num">done / total</th>
      <th class="num">running</th><th class="num">failed</th><th class="num">dead</th><th>submitter</th><th class="num">age</th>
      <th class="num">rate</th><th class="num">ETA</th><th></th></tr></thead><tbody></tbody></table>
  </section>
  <section><h2>Hosts</h2>
    <table id="hosts"><thead><tr><th>host</th><th>queue</th><th class="num">workers</th><th class="num">running</th>
      <th class="num">heartbeat</th><th>build</th><th></th></tr></thead><tbody></tbody></table>
  </section>
  <section><h2>Dead letters</h2><div id="dead"></div></section>
</main>
<script>
"use strict";
let config = null;
const tokenInput = document.getElementById("token");
tokenInput.value = sessionStorage.getItem("mp-dashboard-token") || "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("mp-dashboard-token", tokenInput.value));

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value; else if (key === "onclick") node.onclick = value; else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
function num(value, attributes) { return el("td", Object.assign({ class: "num" }, attributes || {}), value); }
function fmtCount(n) { return n.toLocaleString("en-US"); }
function fmtSeconds(s) {
  if (s === null || s === undefined) return "–";
  if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + Math.round(s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.round((s % 3600) / 60) + " min";
}
function replaceRows(table, rows, empty) {
  const body = document.querySelector(table + " tbody");
  const columns = document.querySelectorAll(table + " thead th").length;
  body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: columns, class: "empty" }, empty))]));
}

async function act(path, what) {
  if (!confirm(what + "?")) return;
  const headers = { "X-Requested-By": "mp-dashboard" };
  if (config && config.actions === "token") headers["Authorization"] = "Bearer " + tokenInput.value;
  try {
    const response = await fetch(path, { method: "POST", headers });
    const reply = await response.json();
    document.getElementById("notice").textContent = reply.message;
  } catch (error) {
    document.getElementById("notice").textContent = what + " failed: " + error;
  }
  poll();
}
function actionButton(label, path, what) {
  if (!config || config.actions === "read-only") return null;
  return el("button", { onclick: () => act(path, what) }, label);
}

function drawQueues(queues) {
  replaceRows("#queues", queues.map(q => el("tr", { "data-queue": q.queue },
    el("td", {}, q.queue), num(fmtCount(q.pending), { "data-field": "pending" }), num(fmtCount(q.running), { "data-field": "running" }),
    num(fmtCount(q.done), { "data-field": "done" }), num(fmtCount(q.failed), { "data-field": "failed" }),
    num(fmtCount(q.dead), { "data-field": "dead" }), num(fmtCount(q.cancelled), { "data-field": "cancelled" }),
    num(q.openJobs, { "data-field": "openJobs" }), num(q.doneRate.toFixed(1), { "data-field": "doneRate" }),
    num(q.failedRate.toFixed(1)), num(q.deadRate.toFixed(1))
  )), "no queue yet");
}

function drawJobs(jobs) {
  const isOpen = j => j.state === "running" || j.state === "loading";
  jobs = jobs.slice().sort((a, b) => (isOpen(b) - isOpen(a)) || (b.id - a.id));
  replaceRows("#jobs", jobs.map(j => {
    const part = (n, cls) => j.total ? el("span", { class: cls, style: "width:" + (100 * n / j.total) + "%" }) : null;
    const bar = el("div", { class: "bar", "data-progress": j.progress, title: j.progress + "%" },
      part(j.done, "done"), part(j.failed, "failed"), part(j.dead, "dead"), part(j.cancelled, "cancelled"), part(j.running, "running"));
    const open = isOpen(j);
    return el("tr", { class: "job", "data-job": j.id, "data-state": j.state },
      el("td", { title: j.name }, "#" + j.id + " " + j.name.split(".").pop()), el("td", {}, j.queue),
      el("td", {}, el("span", { class: "state " + j.state }, j.state)),
      el("td", {}, bar, el("span", { class: "pct" }, " " + j.progress.toFixed(1) + "%")),
      num(fmtCount(j.done) + " / " + fmtCount(j.total), { "data-field": "done" }), num(fmtCount(j.running)),
      num(fmtCount(j.failed)), num(fmtCount(j.dead)), el("td", {}, j.submitter || "–"),
      num(fmtSeconds(j.ageSeconds)), num(j.rate.toFixed(1) + "/s"), num(open ? fmtSeconds(j.etaSeconds) : "done", { "data-field": "eta" }),
      el("td", {}, open ? actionButton("cancel", "/api/jobs/" + j.id + "/cancel", "Cancel job " + j.id) : null));
  }), "no job in the last hour");
}

function drawHosts(hosts) {
  replaceRows("#hosts", hosts.map(h => el("tr", { "data-host": h.id },
    el("td", { title: h.hostname + " pid " + h.pid }, h.id), el("td", {}, h.queue), num(h.workers, { "data-field": "workers" }),
    num(h.running, { "data-field": "running" }),
    num(fmtSeconds(h.secondsSinceSeen) + " ago", { class: h.secondsSinceSeen > 60 ? "num stale" : "num" }),
    el("td", { title: h.build }, h.build.slice(0, 12)),
    el("td", {}, actionButton("drain", "/api/hosts/" + encodeURIComponent(h.id) + "/drain", "Drain host " + h.id))
  )), "no host registered");
}

function drawDead(letters) {
  const box = document.getElementById("dead");
  if (!letters.length) { box.replaceChildren(el("div", { class: "empty" }, "no dead letter")); return; }
  box.replaceChildren(...letters.map(d => el("div", { class: "letter", "data-job": d.jobID, "data-index": d.index },
    el("div", { class: "title" }, "job #" + d.jobID + " task " + d.index + " ", el("span", { class: "pct" }, d.jobName.split(".").pop()), " ",
      actionButton("retry", "/api/dead/" + d.jobID + "/" + d.index + "/retry", "Retry task " + d.index + " of job " + d.jobID)),
    ...d.attempts.map((a, i) => el("div", { class: "attempt" },
      el("span", { class: "host" }, "attempt " + (i + 1) + " on " + a.host + ": "), el("span", { class: "cause" }, a.cause),
      a.stderrTail.length ? el("pre", { class: "stderr" }, a.stderrTail.join("\n")) : null))
  )));
}

// Lines over the last hour in a canvas: each series is [{x: seconds ago, y}] (null y: a gap).
function drawLines(canvas, series, colors, unit) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 1200, height = canvas.clientHeight || 180;
  canvas.width = width * ratio; canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  g.clearRect(0, 0, width, height);
  const known = series.flat().filter(p => p.y !== null).map(p => p.y);
  const max = Math.max(unit, ...known);
  const left = 48, bottom = height - 20, top = 8, right = width - 8;
  canvas.setAttribute("data-points", series.length ? series[0].filter(p => p.y !== null).length : 0);
  canvas.setAttribute("data-max", max);
  g.strokeStyle = "#e2e5ec"; g.fillStyle = "#6b7385"; g.font = "11px system-ui, sans-serif"; g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = bottom - (bottom - top) * i / 4;
    g.beginPath(); g.moveTo(left, y); g.lineTo(right, y); g.stroke();
    g.fillText((max * i / 4).toFixed(max < 10 ? (max < 1 ? 2 : 1) : 0), 4, y + 4);
  }
  ["-60 min", "-45", "-30", "-15", "now"].forEach((label, i) => g.fillText(label, left + (right - left) * i / 4 - (i === 4 ? 20 : 0), height - 4));
  series.forEach((points, s) => {
    g.beginPath(); g.strokeStyle = colors[s]; g.fillStyle = colors[s]; g.lineWidth = 2;
    let drawing = false;
    points.forEach(p => {
      if (p.y === null) { drawing = false; return; }
      const x = left + (right - left) * (3600 - Math.min(3600, Math.max(0, p.x))) / 3600, y = bottom - (bottom - top) * p.y / max;
      if (drawing) g.lineTo(x, y); else g.moveTo(x, y);
      drawing = true;
      g.fillRect(x - 1.5, y - 1.5, 3, 3);   // a minute alone shows too
    });
    g.stroke();
  });
}

function drawChart(throughput) {
  const values = throughput.perSecond, span = throughput.bucketSeconds;
  drawLines(document.getElementById("chart"), [values.map((v, i) => ({ x: (values.length - i) * span - span / 2, y: v }))],
            ["#2d6cdf"], 1);
}

function drawLatency(latency) {
  const box = document.getElementById("latency");
  if (!latency.length) { box.replaceChildren(el("div", { class: "empty" }, "no queue yet")); return; }
  // One canvas per queue, kept across polls.
  const canvases = latency.map(q => {
    let canvas = box.querySelector('canvas[data-queue="' + CSS.escape(q.queue) + '"]');
    if (!canvas) canvas = el("canvas", { class: "latency", "data-queue": q.queue, width: 1200, height: 180 });
    return [el("div", { class: "latency-queue" }, latency.length > 1 ? q.queue : null), canvas];
  });
  box.replaceChildren(...canvases.flat());
  latency.forEach((q, n) => {
    const canvas = canvases[n][1];
    // A gap where a minute had no task ended; the middle of each minute, as the database's clock
    // saw it at the reading (at most 10 s ago).
    const points = key => {
      const out = [];
      q.minutes.forEach((m, i) => {
        if (i > 0 && m.minute - q.minutes[i - 1].minute > 60) out.push({ x: 0, y: null });
        out.push({ x: q.now - m.minute - 30, y: m[key] });
      });
      return out;
    };
    drawLines(canvas, ["runP50", "runP95", "waitP50", "waitP95"].map(points), ["#2d6cdf", "#9bb8ef", "#d98a1c", "#f0c783"], 0.01);
    const last = q.minutes[q.minutes.length - 1];
    canvas.setAttribute("data-last-run-p50", last ? last.runP50 : "");
    canvas.setAttribute("data-last-wait-p50", last ? last.waitP50 : "");
    canvas.setAttribute("data-tasks", q.minutes.reduce((sum, m) => sum + m.tasks, 0));
  });
}

async function poll() {
  try {
    const response = await fetch("/api/dashboard", { cache: "no-store" });
    const data = await response.json();
    config = data.config;
    document.getElementById("database").textContent = data.config.database;
    document.getElementById("age").textContent = data.sampleAgeSeconds >= 0 ? "read " + fmtSeconds(data.sampleAgeSeconds) + " ago" : "";
    tokenInput.hidden = data.config.actions !== "token";
    if (!document.getElementById("notice").textContent && data.config.actions === "read-only")
      document.getElementById("notice").textContent = "read-only";
    const error = document.getElementById("error");
    error.style.display = data.error ? "block" : "none";
    error.textContent = data.error ? "The queues could not be read: " + data.error : "";
    drawQueues(data.queues); drawJobs(data.jobs); drawHosts(data.hosts); drawDead(data.dead); drawChart(data.throughput);
    drawLatency(data.latency);
    const updates = Number(document.body.getAttribute("data-updates")) + 1;
    document.body.setAttribute("data-updates", updates);
    if (updates === 1) {
      // The page's load time as the browser sees it: from navigation to the first figures drawn
      // (Benchmarks/dashboard/watch-load.sh reads it from the tab's title, with ?load-time).
      const ms = Math.round(performance.now());
      document.body.setAttribute("data-first-draw-ms", ms);
      if (location.search === "?load-time") document.title = "first draw " + ms + " ms";
    }
  } catch (error) {
    const box = document.getElementById("error");
    box.style.display = "block"; box.textContent = "The dashboard server does not answer: " + error;
  }
}
poll();
setInterval(poll, 1000);
</script>
</body>
</html>
"""#
}
#endif  // Dashboard
