// WakeDock Monitor's dashboard: one WebSocket to the daemon that serves this page, the containers grouped by
// compose project and service and updated in place, the daemon's status, the alerts as they arrive. Written
// here, no framework; every value reaches the page through textContent, never as HTML.
"use strict";

const WS_PATH = "/api/v1/monitoring/ws";
const API = "/api/v1/monitoring";
const SPARK_POINTS = 60;

const state = {
  containers: new Map(), // container_id → { sample, history: [cpu %], card }
  activeAlerts: new Map(), // container_id → Map(metric_type → level)
  dirty: new Set(),
  frameRequested: false,
  running: null, // the daemon's collection, as its last status said
  filter: { text: "", service: "" }, // kept in the URL: ?q=…&service=…
};

const $ = (id) => document.getElementById(id);

// ---- formatting -----------------------------------------------------------------------------------------

function bytes(n) {
  if (!Number.isFinite(n)) return "—";
  const units = ["o", "Ko", "Mo", "Go", "To"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

const rate = (n) => `${bytes(n)}/s`;
const percent = (n) => (Number.isFinite(n) ? `${n.toFixed(1)} %` : "—");

// ---- the token (when the daemon asks for one) ------------------------------------------------------------

// Kept in this tab only (sessionStorage): closing the tab forgets it.
const TOKEN_KEY = "wakedock.token";
const token = () => sessionStorage.getItem(TOKEN_KEY);

// Every call to the API: with the token when there is one; a 401 asks for one.
async function authFetch(url, options = {}) {
  const headers = new Headers(options.headers || {});
  if (token()) headers.set("Authorization", `Bearer ${token()}`);
  const response = await fetch(url, { ...options, headers });
  if (response.status === 401) {
    askForToken(token() ? "Jeton refusé (invalide ou expiré)." : "");
    throw new Error("Authentification requise");
  }
  return response;
}

// True while the dialog waits for a token: the stream does not reconnect meanwhile.
let waitingForToken = false;

// Shows the token dialog (once, however many calls were refused); a token entered starts the page over.
function askForToken(message) {
  const dialog = $("token-dialog");
  $("token-message").textContent = message;
  setConnection("closed", "Jeton requis");
  waitingForToken = true;
  if (!dialog.open) dialog.showModal();
  $("token-input").focus();
}

function setUpTokenDialog() {
  const dialog = $("token-dialog");
  // Escape would leave the page with neither a token nor a way to give one.
  dialog.addEventListener("cancel", (event) => event.preventDefault());
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token-input").value.trim();
    if (!value) {
      $("token-message").textContent = "Le jeton est vide.";
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, value);
    $("token-input").value = "";
    dialog.close();
    waitingForToken = false;
    start();
  });
}

// ---- the connection -------------------------------------------------------------------------------------

let socket = null;
let retryDelay = 500;

function setConnection(stateName, text) {
  const pill = $("connection");
  pill.dataset.state = stateName;
  pill.textContent = text;
}

function connect() {
  if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) return;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  setConnection("connecting", "Connexion…");
  // A browser cannot set headers on a WebSocket: the token rides as the subprotocol pair `bearer, <token>`.
  socket = token()
    ? new WebSocket(`${scheme}//${location.host}${WS_PATH}`, ["bearer", token()])
    : new WebSocket(`${scheme}//${location.host}${WS_PATH}`);
  socket.addEventListener("open", () => {
    retryDelay = 500;
    setConnection("open", "Connecté");
    send({ action: "subscribe", stream_type: "metrics", batch: true, filters: {} });
    send({ action: "subscribe", stream_type: "alerts", filters: {} });
    send({ action: "subscribe", stream_type: "system_status", filters: {} });
  });
  socket.addEventListener("message", (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    handle(message);
  });
  socket.addEventListener("close", () => {
    setConnection("closed", `Déconnecté — nouvel essai dans ${(retryDelay / 1000).toFixed(1)} s`);
    // A refused upgrade looks like any other close: ask the API whether a (better) token is wanted.
    probeAccess().catch(() => {});
    setTimeout(() => { if (!waitingForToken) connect(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000); // back-off, at most 10 s
  });
}

function send(object) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(object));
}

function handle(message) {
  switch (message.type) {
    case "metrics_update":
      for (const sample of message.data.samples || [message.data]) update(sample);
      break;
    case "alert":
      alertArrived(message.data);
      break;
    case "status_update":
      if (message.data && message.data.monitoring) showStatus(message.data);
      break;
    default:
      break;
  }
}

// ---- status ---------------------------------------------------------------------------------------------

function showStatus(status) {
  const monitoring = status.monitoring;
  const health = status.collector_stats || {};
  $("status-running").textContent = monitoring.is_running ? "en cours" : "arrêtée";
  state.running = monitoring.is_running;
  const toggle = $("toggle-collection");
  toggle.disabled = false;
  toggle.dataset.running = String(monitoring.is_running);
  toggle.textContent = monitoring.is_running ? "Arrêter la collecte" : "Reprendre la collecte";
  $("status-interval").textContent = `${monitoring.collection_interval} s`;
  $("status-containers").textContent = String(monitoring.monitored_containers);
  $("status-p99").textContent = Number.isFinite(health.p99_tick_ms) ? `${health.p99_tick_ms.toFixed(2)} ms` : "—";
  $("status-missed").textContent = Number.isFinite(health.missed_ticks) ? String(health.missed_ticks) : "—";
  const warnings = (status.security && status.security.warnings) || [];
  const banner = $("security-warning");
  setText(banner, warnings.join(" · "));
  if (banner.hidden !== (warnings.length === 0)) banner.hidden = warnings.length === 0;
}

// ---- containers -----------------------------------------------------------------------------------------

function update(sample) {
  let entry = state.containers.get(sample.container_id);
  if (!entry) {
    entry = { sample, history: [], card: null };
    state.containers.set(sample.container_id, entry);
  }
  entry.sample = sample;
  entry.history.push(sample.cpu_percent);
  if (entry.history.length > SPARK_POINTS) entry.history.shift();
  state.dirty.add(sample.container_id);
  extendChart(sample);
  scheduleFrame();
}

// Updates are coalesced to the display's frame rate: a tick of 200 containers at 0.1 s is one paint.
function scheduleFrame() {
  if (state.frameRequested) return;
  state.frameRequested = true;
  requestAnimationFrame(render);
}

const groups = new Map(); // "project/service" → its cards' container

function groupElement(project, service) {
  const key = `${project}/${service}`;
  if (groups.has(key)) return groups.get(key);
  const group = document.createElement("section");
  group.className = "group";
  group.dataset.key = key;
  group.dataset.service = service;
  const title = document.createElement("h3");
  title.textContent = service || "sans service";
  if (project) {
    const projectName = document.createElement("span");
    projectName.className = "project";
    projectName.textContent = ` — ${project}`;
    title.append(projectName);
  }
  const cards = document.createElement("div");
  cards.className = "cards";
  group.append(title, cards);
  // Groups in name order: by project, then service.
  const next = [...$("groups").children].find((g) => g.dataset.key.localeCompare(key) > 0);
  $("groups").insertBefore(group, next || null);
  groups.set(key, cards);
  return cards;
}

let framesRendered = 0;

// Only cards on screen (or about to be) are refreshed: with 200 containers at 0.1 s, filling every card each
// tick kept the main thread busy most of the time for cards nobody could see. A card that scrolls into view
// is filled at once.
const onScreen = new Set(); // container ids of the cards in or near the viewport
const visibility = new IntersectionObserver((changes) => {
  for (const change of changes) {
    const id = change.target.dataset.containerId;
    if (change.isIntersecting) {
      onScreen.add(id);
      const entry = state.containers.get(id);
      if (entry && entry.stale) { state.dirty.add(id); scheduleFrame(); }
    } else {
      onScreen.delete(id);
    }
  }
}, { rootMargin: "200px" });

function createCard(id, entry) {
  const card = $("card-template").content.firstElementChild.cloneNode(true);
  card.dataset.containerId = id;
  entry.card = card;
  entry.fields = {};
  for (const name of ["name", "cpu", "memory", "limit", "network", "block", "pids", "spark", "alert-badges"]) {
    entry.fields[name] = card.querySelector(`.${name}`);
  }
  entry.fields.name.textContent = entry.sample.container_name;
  const cards = groupElement(entry.sample.project_name || "", entry.sample.service_name || "");
  const name = entry.sample.container_name;
  const next = [...cards.children].find((c) => c.querySelector(".name").textContent.localeCompare(name) > 0);
  cards.insertBefore(card, next || null);
  visibility.observe(card);
}

function render() {
  state.frameRequested = false;
  framesRendered += 1;
  let created = false;
  for (const id of state.dirty) {
    const entry = state.containers.get(id);
    if (!entry) continue;
    if (!entry.card) {
      createCard(id, entry);
      created = true;
    } else if (!onScreen.has(id)) {
      entry.stale = true; // filled when it comes into view
      applyFilter(entry);
      continue;
    }
    entry.stale = false;
    fill(entry);
    applyFilter(entry);
  }
  state.dirty.clear();
  if (chart.dirty) drawChart();
  const empty = state.containers.size === 0;
  if ($("empty").hidden === empty) $("empty").hidden = !empty;
  if (created) {
    refreshServiceChoices();
    updateGroupVisibility();
  }
}

// A text written only when it changed: rewriting the same text still costs a layout of its card.
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function fill(entry) {
  const s = entry.sample;
  const f = entry.fields;
  setText(f.name, s.container_name);
  setText(f.cpu, percent(s.cpu_percent));
  setText(f.memory, `${bytes(s.memory_usage)} · ${percent(s.memory_percent)}`);
  setText(f.limit, bytes(s.memory_limit));
  setText(f.network, `${rate(s.network_rx_rate)} / ${rate(s.network_tx_rate)}`);
  setText(f.block, `${rate(s.block_read_rate)} / ${rate(s.block_write_rate)}`);
  setText(f.pids, String(s.pids));
  drawSpark(f.spark, entry.history);
  showAlertBadges(s.container_id);
}

// The scheme's accent, read once per scheme (getComputedStyle on every sparkline forced a style pass).
let accentColor = null;
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
  accentColor = null;
  for (const entry of state.containers.values()) if (entry.card) { entry.stale = true; state.dirty.add(entry.sample.container_id); }
  chart.dirty = true;
  scheduleFrame();
});

function drawSpark(canvas, values) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 240;
  const height = canvas.clientHeight || 40;
  if (canvas.width !== Math.round(width * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  if (values.length < 2) return;
  const top = Math.max(100, ...values);
  if (!accentColor) accentColor = cssColor("--accent", "#2563eb");
  const accent = accentColor;
  g.beginPath();
  values.forEach((v, i) => {
    const x = (i / (SPARK_POINTS - 1)) * width;
    const y = height - 2 - (Math.max(0, v) / top) * (height - 4);
    if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
  });
  g.strokeStyle = accent;
  g.lineWidth = 1.5;
  g.stroke();
}

// ---- the history chart ----------------------------------------------------------------------------------
// One metric of a container (or of every container of a service) over a window: seeded from the REST history
// downsampled by the daemon (`step`, about 300 points whatever the window), then extended by the live samples,
// folded into the same steps. Drawn on a canvas by the code below.

const WINDOWS = { 300: 1, 3600: 12, 86400: 300, 604800: 3600 }; // window (s) → step (s)
const PALETTE = ["--accent", "--warn", "--ok", "--crit", "--info"];
const chart = {
  subject: "", // "c:<container name>" or "s:<service>"
  metric: "cpu_percent",
  window: 3600,
  series: new Map(), // container name → points [{ t: step start (ms), v, n }], oldest first
  loading: false,
  pending: [], // live samples that came while the history loaded: folded in after it
  dirty: false,
  request: 0,
};

// How a step holds a metric, as the daemon folds it: rates and percentages averaged, gauges at their newest.
const chartAverages = () => chart.metric.endsWith("_percent") || chart.metric.endsWith("_rate");

const subjectLabel = (subject) => (subject.startsWith("s:") ? `service ${subject.slice(2)}` : subject.slice(2));

function chartFormat(value) {
  if (!Number.isFinite(value)) return "—";
  if (chart.metric.endsWith("_percent")) return percent(value);
  if (chart.metric.endsWith("_rate")) return rate(value);
  if (chart.metric === "memory_usage") return bytes(value);
  return String(Math.round(value));
}

function refreshChartChoices() {
  const select = $("history-subject");
  const known = new Set([...select.options].map((o) => o.value));
  const entries = [...state.containers.values()].map((e) => e.sample);
  const subjects = [
    ...entries.map((s) => `c:${s.container_name}`).sort(),
    ...[...new Set(entries.map((s) => s.service_name).filter(Boolean))].sort().map((name) => `s:${name}`),
  ];
  for (const subject of subjects) if (!known.has(subject)) select.append(new Option(subjectLabel(subject), subject));
  select.value = chart.subject;
}

function chartWants(sample) {
  if (chart.subject.startsWith("c:")) return sample.container_name === chart.subject.slice(2);
  if (chart.subject.startsWith("s:")) return (sample.service_name || "") === chart.subject.slice(2);
  return false;
}

function addPoint(name, t, value, n) {
  if (!Number.isFinite(t) || !Number.isFinite(value)) return;
  const stepMs = WINDOWS[chart.window] * 1000;
  const start = Math.floor(t / stepMs) * stepMs;
  let points = chart.series.get(name);
  if (!points) { points = []; chart.series.set(name, points); }
  const last = points[points.length - 1];
  if (last && last.t === start) {
    last.v = chartAverages() ? (last.v * last.n + value * n) / (last.n + n) : value; // running mean, or newest
    last.n += n;
  } else if (!last || start > last.t) {
    points.push({ t: start, v: value, n });
  }
  const oldest = Date.now() - chart.window * 1000 - stepMs;
  while (points.length && points[0].t < oldest) points.shift();
}

function extendChart(sample) {
  if (!chartWants(sample)) return;
  if (chart.loading) {
    if (chart.pending.length < 100000) chart.pending.push(sample);
    return;
  }
  addPoint(sample.container_name, Date.parse(sample.timestamp), sample[chart.metric], 1);
  chart.dirty = true;
}

async function loadChart() {
  const token = ++chart.request;
  chart.series.clear();
  chart.pending = [];
  chart.loading = Boolean(chart.subject);
  drawChart();
  if (!chart.subject) return;
  // JSONL: one line a record, no limit to fit (a service of many containers has many steps).
  const params = new URLSearchParams({ hours: String(chart.window / 3600), step: String(WINDOWS[chart.window]), format: "jsonl" });
  params.set(chart.subject.startsWith("s:") ? "service_name" : "container_id", chart.subject.slice(2));
  $("history-summary").textContent = "Chargement de l'historique…";
  try {
    const response = await authFetch(`${API}/metrics?${params}`);
    if (!response.ok) {
      let detail = `HTTP ${response.status}`;
      try { detail = (await response.json()).detail || detail; } catch { /* the status says enough */ }
      throw new Error(detail);
    }
    const lines = (await response.text()).split("\n").filter((line) => line);
    if (token !== chart.request) return; // a newer choice won
    chart.series.clear();
    for (let i = lines.length - 1; i >= 0; i -= 1) {
      const r = JSON.parse(lines[i]);
      addPoint(r.container_name, Date.parse(r.timestamp), r[chart.metric], r.samples || 1);
    }
  } catch (error) {
    if (token === chart.request) $("history-summary").textContent = error.message;
  } finally {
    if (token === chart.request) {
      chart.loading = false;
      for (const sample of chart.pending) addPoint(sample.container_name, Date.parse(sample.timestamp), sample[chart.metric], 1);
      chart.pending = [];
      drawChart();
    }
  }
}

function chartChanged() {
  chart.subject = $("history-subject").value;
  chart.metric = $("history-metric").value;
  chart.window = Number($("history-window").value);
  writeURL();
  loadChart();
}

function cssColor(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function drawChart() {
  chart.dirty = false;
  const canvas = $("history-chart");
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 600;
  const height = canvas.clientHeight || 260;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const series = [...chart.series.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  const values = series.flatMap(([, points]) => points.map((p) => p.v));
  if (!chart.subject || values.length === 0) {
    const text = chart.loading ? "" : chart.subject ? "Pas de données dans cette fenêtre." : "Choisissez un conteneur ou un service.";
    canvas.setAttribute("aria-label", text || "Chargement");
    if (!chart.loading) $("history-summary").textContent = text;
    return;
  }
  const left = 64, right = 12, top = 24, bottom = 26;
  const plotW = Math.max(10, width - left - right), plotH = Math.max(10, height - top - bottom);
  const end = Date.now(), begin = end - chart.window * 1000;
  let yMax = Math.max(...values, 0) * 1.1 || 1;
  if (chart.metric.endsWith("_percent")) yMax = Math.max(yMax, 100);
  const x = (t) => left + ((t - begin) / (end - begin)) * plotW;
  const y = (v) => top + plotH - (Math.max(0, v) / yMax) * plotH;
  const muted = cssColor("--muted", "#5b6577");
  g.font = "11px system-ui, sans-serif";
  g.lineWidth = 1;
  g.strokeStyle = cssColor("--line", "#dde2ea");
  g.fillStyle = muted;
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (let i = 0; i <= 4; i += 1) {
    const v = (yMax * i) / 4;
    g.beginPath();
    g.moveTo(left, y(v));
    g.lineTo(left + plotW, y(v));
    g.stroke();
    g.fillText(chartFormat(v), left - 6, y(v));
  }
  g.textBaseline = "top";
  const long = chart.window > 86400;
  const label = (t) => new Date(t).toLocaleString(document.documentElement.lang || [], long ? { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" }
    : { hour: "2-digit", minute: "2-digit" });
  [[begin, "left"], [(begin + end) / 2, "center"], [end, "right"]].forEach(([t, align]) => {
    g.textAlign = align;
    g.fillText(label(t), x(t), top + plotH + 6);
  });
  series.forEach(([name, points], i) => {
    const color = cssColor(PALETTE[i % PALETTE.length], "#2563eb");
    g.strokeStyle = color;
    g.lineWidth = 1.6;
    g.beginPath();
    points.forEach((p, k) => (k === 0 ? g.moveTo(x(p.t), y(p.v)) : g.lineTo(x(p.t), y(p.v))));
    g.stroke();
    if (points.length === 1) g.fillRect(x(points[0].t) - 1.5, y(points[0].v) - 1.5, 3, 3);
    g.fillStyle = color;
    g.textAlign = "left";
    g.fillText(name, left + 4 + i * 140, 4);
  });
  const all = series.flatMap(([, points]) => points);
  const newest = all.reduce((a, b) => (b.t > a.t ? b : a));
  const optionText = (id) => ($(id).selectedOptions[0] || { textContent: "" }).textContent;
  const summary = `${optionText("history-metric")} — ${subjectLabel(chart.subject)}, `
    + `${optionText("history-window")} : ${all.length} points, max ${chartFormat(Math.max(...values))}, `
    + `dernier ${chartFormat(newest.v)}`;
  canvas.setAttribute("aria-label", summary);
  $("history-summary").textContent = summary;
}

// What the chart holds, for the tests and the console.
function chartState() {
  return {
    subject: chart.subject, metric: chart.metric, window: chart.window, loading: chart.loading,
    series: Object.fromEntries([...chart.series.entries()].map(([name, points]) => [name, points.map((p) => ({ ...p }))])),
  };
}

// ---- alerts ---------------------------------------------------------------------------------------------

function alertArrived(alert) {
  const active = state.activeAlerts.get(alert.container_id) || new Map();
  if (alert.resolved) active.delete(alert.metric_type); else active.set(alert.metric_type, alert.level);
  state.activeAlerts.set(alert.container_id, active);
  const item = document.createElement("li");
  item.className = alert.resolved ? "resolved" : alert.level;
  const time = document.createElement("time");
  time.dateTime = alert.timestamp;
  time.textContent = new Date(alert.timestamp).toLocaleTimeString();
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = alert.container_name;
  const text = document.createElement("span");
  text.textContent = alert.message;
  item.append(time, who, text);
  item.dataset.level = alert.resolved ? "info" : alert.level;
  item.hidden = !levelShown(item.dataset.level);
  const list = $("alerts");
  list.prepend(item);
  while (list.children.length > 50) list.lastElementChild.remove();
  showActiveAlerts();
  state.dirty.add(alert.container_id);
  scheduleFrame();
}

function levelShown(level) {
  const chosen = $("alert-level").value;
  return !chosen || chosen === level;
}

// The alerts in force now, worst first: one line per container and metric.
function showActiveAlerts() {
  const rows = [];
  for (const [containerId, active] of state.activeAlerts) {
    const entry = state.containers.get(containerId);
    const name = entry ? entry.sample.container_name : containerId.slice(0, 12);
    for (const [metric, level] of active) rows.push({ name, metric, level });
  }
  const rank = { critical: 0, warning: 1, info: 2 };
  rows.sort((a, b) => rank[a.level] - rank[b.level] || a.name.localeCompare(b.name) || a.metric.localeCompare(b.metric));
  const list = $("active-alerts");
  const items = rows.map(({ name, metric, level }) => {
    const item = document.createElement("li");
    item.className = level;
    item.dataset.level = level;
    item.hidden = !levelShown(level);
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = name;
    const what = document.createElement("span");
    what.textContent = `${metric} — ${level === "critical" ? "critique" : level === "warning" ? "avertissement" : level}`;
    item.append(who, what);
    return item;
  });
  if (items.length === 0) {
    const none = document.createElement("li");
    none.className = "none";
    none.textContent = "Aucune alerte en cours.";
    items.push(none);
  }
  list.replaceChildren(...items);
}

function levelChanged() {
  for (const item of document.querySelectorAll("#alerts li, #active-alerts li[data-level]")) {
    item.hidden = !levelShown(item.dataset.level);
  }
}

function showAlertBadges(containerId) {
  const entry = state.containers.get(containerId);
  if (!entry || !entry.card) return;
  const badges = entry.fields["alert-badges"];
  badges.replaceChildren();
  const active = state.activeAlerts.get(containerId) || new Map();
  let worst = "";
  for (const [metric, level] of active) {
    const badge = document.createElement("span");
    badge.className = `badge ${level}`;
    badge.textContent = metric;
    badges.append(badge);
    if (level === "critical" || (level === "warning" && worst !== "critical")) worst = level;
  }
  entry.card.classList.toggle("alerting-warning", worst === "warning");
  entry.card.classList.toggle("alerting-critical", worst === "critical");
}

// ---- filters, kept in the URL ---------------------------------------------------------------------------

function matches(sample) {
  const { text, service } = state.filter;
  if (service && (sample.service_name || "") !== service) return false;
  if (!text) return true;
  const needle = text.toLowerCase();
  return [sample.container_name, sample.container_id, sample.service_name || "", sample.project_name || ""]
    .some((field) => field.toLowerCase().includes(needle));
}

function applyFilter(entry) {
  if (!entry.card) return;
  const hidden = !matches(entry.sample);
  if (entry.card.hidden !== hidden) entry.card.hidden = hidden; // untouched when unchanged: no style work
}

function filterChanged() {
  state.filter.text = $("filter").value.trim();
  state.filter.service = $("service-filter").value;
  writeURL();
  for (const entry of state.containers.values()) applyFilter(entry);
  updateGroupVisibility();
}

// The view in the URL, so that it can be shared and reloaded: the filters and the chart.
function writeURL() {
  const params = new URLSearchParams();
  if (state.filter.text) params.set("q", state.filter.text);
  if (state.filter.service) params.set("service", state.filter.service);
  if (chart.subject) {
    params.set("chart", chart.subject);
    params.set("metric", chart.metric);
    params.set("window", String(chart.window));
  }
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

function refreshServiceChoices() {
  const select = $("service-filter");
  const known = new Set([...select.options].map((o) => o.value));
  const services = [...new Set([...state.containers.values()].map((e) => e.sample.service_name || ""))]
    .filter((name) => name && !known.has(name)).sort();
  for (const name of services) select.append(new Option(name, name));
  select.value = state.filter.service;
  refreshChartChoices();
}

function updateGroupVisibility() {
  for (const group of $("groups").children) {
    group.hidden = [...group.querySelectorAll(".card")].every((card) => card.hidden);
  }
}

function readFiltersFromURL() {
  const params = new URLSearchParams(location.search);
  state.filter.text = params.get("q") || "";
  state.filter.service = params.get("service") || "";
  $("filter").value = state.filter.text;
  if (state.filter.service) $("service-filter").append(new Option(state.filter.service, state.filter.service));
  $("service-filter").value = state.filter.service;
  chart.subject = params.get("chart") || "";
  if ([...$("history-metric").options].some((o) => o.value === params.get("metric"))) chart.metric = params.get("metric");
  if (Object.hasOwn(WINDOWS, params.get("window") || "")) chart.window = Number(params.get("window"));
  if (chart.subject) $("history-subject").append(new Option(subjectLabel(chart.subject), chart.subject));
  $("history-subject").value = chart.subject;
  $("history-metric").value = chart.metric;
  $("history-window").value = String(chart.window);
}

// ---- actions: start/stop, export ------------------------------------------------------------------------

async function api(method, path, body) {
  const response = await authFetch(API + path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  let payload = null;
  try { payload = await response.json(); } catch { payload = null; }
  if (!response.ok) throw new Error((payload && payload.detail) || `HTTP ${response.status}`);
  return payload;
}

async function toggleCollection() {
  const toggle = $("toggle-collection");
  toggle.disabled = true;
  try {
    await api("POST", state.running ? "/stop" : "/start");
    const status = await api("GET", "/status");
    showStatus(status);
  } catch (error) {
    $("connection").textContent = error.message;
  } finally {
    toggle.disabled = false;
  }
}

// What is shown, as a JSON document: the filter and each visible container's newest sample and recent CPU.
function exportDocument() {
  const shown = [...state.containers.values()].filter((entry) => matches(entry.sample));
  return JSON.stringify({
    exported_at: new Date().toISOString(),
    filter: state.filter,
    containers: shown.map((entry) => ({ latest: entry.sample, cpu_percent_recent: entry.history })),
    chart: chart.subject ? chartState() : null,
  }, null, 2);
}

function downloadExport() {
  const blob = new Blob([exportDocument()], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `wakedock-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// ---- thresholds -----------------------------------------------------------------------------------------

const METRICS = ["cpu_percent", "memory_percent", "memory_usage", "memory_limit", "network_rx", "network_tx",
  "block_read", "block_write", "pids"];

async function loadThresholds() {
  const body = await api("GET", "/thresholds");
  const rows = [];
  for (const [metric, t] of Object.entries(body.thresholds)) rows.push([metric, "tous", t.warning, t.critical]);
  for (const o of body.overrides) {
    rows.push([o.metric_type, o.service_name ? `service ${o.service_name}` : `conteneur ${o.container_id.slice(0, 12)}`, o.warning, o.critical]);
  }
  rows.sort((a, b) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]));
  const tbody = $("threshold-table").tBodies[0];
  tbody.replaceChildren(...rows.map((row) => {
    const tr = document.createElement("tr");
    row.forEach((value, i) => {
      const td = document.createElement("td");
      td.textContent = String(value);
      if (i >= 2) td.className = "number";
      tr.append(td);
    });
    return tr;
  }));
  return body;
}

async function saveThreshold(event) {
  event.preventDefault();
  const message = $("threshold-message");
  const metric = $("threshold-metric").value;
  const scope = $("threshold-scope").value;
  const body = {
    metric_type: metric,
    warning_threshold: Number($("threshold-warning").value),
    critical_threshold: Number($("threshold-critical").value),
    enabled: true,
  };
  if (scope === "service") body.service_name = $("threshold-target").value.trim();
  if (scope === "container") body.container_id = $("threshold-target").value.trim();
  try {
    const answer = await api("PUT", `/thresholds/${encodeURIComponent(metric)}`, body);
    message.className = "message ok";
    message.textContent = answer.message;
    await loadThresholds();
  } catch (error) {
    message.className = "message error";
    message.textContent = error.message; // the API's own sentence (SPEC §4's detail)
  }
}

function setUpThresholdForm() {
  const select = $("threshold-metric");
  for (const metric of METRICS) select.append(new Option(metric, metric));
  $("threshold-scope").addEventListener("change", () => {
    const scoped = $("threshold-scope").value !== "global";
    $("threshold-target-label").hidden = !scoped;
    $("threshold-target").required = scoped;
  });
  $("threshold-form").addEventListener("submit", saveThreshold);
}

// The JSONL link, through the API with the token when there is one (a plain link cannot carry it).
async function downloadJSONL(event) {
  if (!token()) return; // no authentication: the link works as it is
  event.preventDefault();
  const link = event.currentTarget;
  try {
    const response = await authFetch(link.href);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const blobLink = document.createElement("a");
    blobLink.href = URL.createObjectURL(await response.blob());
    blobLink.download = link.getAttribute("download");
    document.body.append(blobLink);
    blobLink.click();
    blobLink.remove();
    setTimeout(() => URL.revokeObjectURL(blobLink.href), 10000);
  } catch (error) {
    $("connection").textContent = error.message;
  }
}

// ---- start ----------------------------------------------------------------------------------------------

readFiltersFromURL();
for (const id of ["history-subject", "history-metric", "history-window"]) $(id).addEventListener("change", chartChanged);
window.addEventListener("resize", () => { chart.dirty = true; scheduleFrame(); });
$("filter").addEventListener("input", filterChanged);
$("service-filter").addEventListener("change", filterChanged);
$("controls").addEventListener("submit", (event) => event.preventDefault());
$("toggle-collection").addEventListener("click", toggleCollection);
$("export").addEventListener("click", downloadExport);
$("export-jsonl").addEventListener("click", downloadJSONL);
$("alert-level").addEventListener("change", levelChanged);
setUpThresholdForm();
setUpTokenDialog();
// For the tests, and for anyone at the console.
window.wakedock = { exportDocument, chartState, framesRendered: () => framesRendered };

// Whether this tab may read: a 401 (no or a bad token) or a 403 (a token without reading) opens the dialog.
async function probeAccess() {
  const response = await authFetch(`${API}/status`);
  if (response.status === 403) {
    askForToken("Ce jeton ne permet pas de lire (portée monitoring:read).");
    return false;
  }
  return true;
}

// The first call tells whether the daemon wants a token (its 401 opens the dialog, which starts over).
async function start() {
  if (!(await probeAccess().catch(() => false))) return;
  if (!socket || socket.readyState === WebSocket.CLOSED) connect(); else socket.close();
  loadThresholds().catch((error) => { $("threshold-message").textContent = error.message; });
  loadChart();
}
start();
