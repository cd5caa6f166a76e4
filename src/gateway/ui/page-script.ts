// The dashboard's script (inline in the page; its hash is in the Content-Security-Policy): polls /ui/data.json
// every second and redraws the tiles, the SVG charts and the tables. Plain ES2020, no library, no network but
// this gateway. Every value reaches the DOM as text (textContent), never as HTML: model names and file paths are
// other people's strings.
export const DASHBOARD_JS = String.raw`(function () {
'use strict';
var POLL_MS = 1000;
var SVG = 'http://www.w3.org/2000/svg';
var last = null;

function $(sel) { return document.querySelector(sel); }
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function svgEl(tag, attrs) {
  var e = document.createElementNS(SVG, tag);
  for (var k in attrs) e.setAttribute(k, String(attrs[k]));
  return e;
}
function int(n) { return Math.round(n).toLocaleString('en-US'); }
function num(n) {
  if (n === null || n === undefined) return '\u2013';
  if (n === 0) return '0';
  if (n < 10) return n.toFixed(2);
  if (n < 100) return n.toFixed(1);
  return int(n);
}
function pct(x) {
  if (x === null || x === undefined) return '\u2013';
  var p = x * 100;
  return (p === 0 || p >= 10 ? p.toFixed(0) : p.toFixed(1)) + '%';
}
function secs(s) {
  if (s === null || s === undefined) return '\u2013';
  if (s === 0) return '0';
  if (s < 0.001) return (s * 1000).toFixed(2) + ' ms';
  if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 1 : 0) + ' ms';
  return s.toFixed(2) + ' s';
}
function usd(n) { return n >= 1 || n === 0 ? '$' + n.toFixed(2) : '$' + n.toFixed(4); }
function compact(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(1) + 'B';
  if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (n >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  return int(n);
}
function short(n) { return n >= 1e6 ? compact(n) : n >= 1000 ? (n / 1000).toFixed(1) + 'k' : int(n); }
function duration(sec) {
  if (sec === null || sec === undefined || !isFinite(sec)) return '?';
  var s = Math.max(0, Math.round(sec));
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
  return Math.floor(s / 3600) + 'h' + String(Math.floor((s % 3600) / 60)).padStart(2, '0') + 'm';
}
function ago(iso, now) {
  var s = Math.max(0, (now - Date.parse(iso)) / 1000);
  return s < 2 ? 'just now' : duration(s) + ' ago';
}
function base(path) { var i = path.lastIndexOf('/'); return i === -1 ? path : path.slice(i + 1); }

function tile(name, value, sub, tone) {
  var t = document.querySelector('[data-metric="' + name + '"]');
  if (!t) return;
  t.querySelector('.v').textContent = value;
  t.querySelector('.sub').textContent = sub;
  t.classList.toggle('bad', tone === 'bad');
  t.classList.toggle('good', tone === 'good');
}

function bar(fraction, tone) {
  var b = el('div', 'bar' + (tone ? ' ' + tone : ''));
  var fill = el('span');
  fill.style.width = (Math.max(0, Math.min(1, fraction)) * 100).toFixed(1) + '%';
  b.appendChild(fill);
  return b;
}
function barCell(fraction, label, tone, stack) {
  var td = el('td');
  var wrap = el('div', 'barcell' + (stack ? ' stack' : ''));
  wrap.appendChild(bar(fraction, tone));
  wrap.appendChild(el('span', 'lbl', label));
  td.appendChild(wrap);
  return td;
}
function cell(text, cls, title) {
  var td = el('td', cls, text);
  if (title) td.title = title;
  return td;
}
function fill(id, rows, columns, empty) {
  var body = document.querySelector('#' + id + ' tbody');
  body.replaceChildren();
  if (rows.length === 0) {
    var tr = el('tr');
    var td = el('td', 'empty', empty);
    td.colSpan = columns;
    tr.appendChild(td);
    body.appendChild(tr);
    return;
  }
  rows.forEach(function (r) { body.appendChild(r); });
}
function row(attrs, cells) {
  var tr = el('tr');
  for (var k in attrs) tr.setAttribute(k, attrs[k]);
  cells.forEach(function (c) { tr.appendChild(c); });
  return tr;
}
function pill(state, text) { var td = el('td'); td.appendChild(el('span', 'pill ' + state, text)); return td; }

// A round grid step giving at most 4 intervals up to max (1, 2, 2.5 or 5 times a power of ten).
function niceStep(max) {
  var rough = max > 0 ? max / 4 : 0.25;
  var p = Math.pow(10, Math.floor(Math.log10(rough)));
  var steps = [1, 2, 2.5, 5, 10];
  for (var i = 0; i < steps.length; i++) if (steps[i] * p >= rough) return steps[i] * p;
  return 10 * p;
}

// A line chart of series[key] for each line, with gaps where a value is null.
function chart(id, series, lines, format, at) {
  var svg = document.getElementById(id);
  var W = 480, H = 170, L = 52, R = 10, T = 10, B = 22;
  svg.replaceChildren();
  var t1 = series.length ? series[series.length - 1].t : at;
  var t0 = series.length ? Math.max(series[0].t, t1 - 300000) : t1 - 60000;
  if (t1 - t0 < 10000) t0 = t1 - 10000;
  var max = 0;
  series.forEach(function (p) { lines.forEach(function (l) { var v = p[l.key]; if (v !== null && v > max) max = v; }); });
  var step = niceStep(max);
  var top = step * Math.max(1, Math.ceil(max / step - 1e-9));
  var x = function (t) { return L + ((t - t0) / (t1 - t0)) * (W - L - R); };
  var y = function (v) { return T + (1 - v / top) * (H - T - B); };
  for (var g = 0; g * step <= top + step / 1e6; g++) {
    var v = g * step;
    svg.appendChild(svgEl('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: g === 0 ? 'axis' : 'grid' }));
    var label = svgEl('text', { x: L - 6, y: y(v) + 3, 'text-anchor': 'end' });
    label.textContent = format(v);
    svg.appendChild(label);
  }
  var span = Math.round((t1 - t0) / 1000);
  [[L, '-' + duration(span), 'start'], [W - R, 'now', 'end']].forEach(function (a) {
    var t = svgEl('text', { x: a[0], y: H - 6, 'text-anchor': a[2] });
    t.textContent = a[1];
    svg.appendChild(t);
  });
  lines.forEach(function (l) {
    var d = '';
    var pen = false;
    var dots = [];
    series.forEach(function (p, i) {
      var v = p[l.key];
      if (v === null || p.t < t0) { pen = false; return; }
      var next = series[i + 1];
      var prev = series[i - 1];
      var alone = (!prev || prev[l.key] === null) && (!next || next[l.key] === null);
      if (alone) dots.push([x(p.t), y(v)]);
      d += (pen ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(v).toFixed(1);
      pen = true;
    });
    if (d) svg.appendChild(svgEl('path', { d: d, class: l.color }));
    dots.forEach(function (c) { svg.appendChild(svgEl('circle', { cx: c[0].toFixed(1), cy: c[1].toFixed(1), r: 2.2, class: l.color })); });
  });
}

// Each line's name and its latest value (the last interval that had one).
function legend(id, lines, series) {
  var box = document.getElementById(id);
  box.replaceChildren();
  lines.forEach(function (l) {
    var value = null;
    for (var i = series.length - 1; i >= 0 && value === null; i--) value = series[i][l.key];
    var item = el('span');
    item.appendChild(el('i', l.color));
    item.appendChild(document.createTextNode(l.label + (value !== null ? ' ' + l.format(value) : '')));
    box.appendChild(item);
  });
}

var RPS = [{ key: 'rps', label: 'req/s', color: 'c-blue', format: num }];
var LAT = [
  { key: 'p50', label: 'p50', color: 'c-blue', format: secs },
  { key: 'p95', label: 'p95', color: 'c-violet', format: secs },
  { key: 'p99', label: 'p99', color: 'c-orange', format: secs }
];
var ERR = [{ key: 'errorRate', label: 'errors', color: 'c-red', format: pct }];

function render(d) {
  var t = d.totals;
  var now = d.now;
  tile('rps', num(now.rps), now.windowSeconds ? 'last ' + Math.round(now.windowSeconds) + ' s' : 'measuring\u2026');
  tile('requests', int(t.requests), 'answered on /v1/');
  tile('success', int(t.ok), t.requests ? pct(t.ok / t.requests) + ' succeeded' : 'none yet', t.requests && t.ok === t.requests ? 'good' : '');
  tile('errors', int(t.errors), t.requests ? pct(t.errors / t.requests) + ' of requests' : 'none yet', t.errors ? 'bad' : '');
  tile('latency', secs(now.p95), 'p50 ' + secs(now.p50));
  tile('inflight', int(t.inflight), 'being answered');
  tile('fallbacks', int(t.fallbacksTotal), int(t.retriesTotal) + ' retries');
  tile('tokens', compact(t.promptTokens + t.completionTokens), short(t.promptTokens) + ' in \u00b7 ' + short(t.completionTokens) + ' out');
  tile('spend', usd(t.costUsd), 'estimated');

  chart('ch-rps', d.series, RPS, num, d.at);
  legend('lg-rps', RPS, d.series);
  chart('ch-lat', d.series, LAT, secs, d.at);
  legend('lg-lat', LAT, d.series);
  chart('ch-err', d.series, ERR, pct, d.at);
  legend('lg-err', ERR, d.series);

  fill('categories', t.byCategory.map(function (c) {
    return row({ 'data-category': c.category }, [cell(c.category, 'cat'), cell(int(c.count), 'n count'), barCell(t.requests ? c.count / t.requests : 0, pct(t.requests ? c.count / t.requests : 0), 'err')]);
  }), 3, 'No errors.');

  fill('breakers', d.breakers.map(function (b) {
    return row({ 'data-model': b.model }, [cell(b.model, 'model', b.model), pill(b.state, b.state.replace('_', '-'))]);
  }), 2, 'No model called yet.');

  fill('fallbacks', t.fallbacks.map(function (f) {
    var td = el('td', 'model wrap');
    td.title = f.from + ' \u2192 ' + f.to;
    td.appendChild(el('div', '', f.from));
    var to = el('div');
    to.appendChild(el('span', 'arrow', '\u2192'));
    to.appendChild(document.createTextNode(f.to));
    td.appendChild(to);
    return row({ 'data-from': f.from, 'data-to': f.to }, [td, cell(f.why, 'why'), cell(int(f.count), 'n count')]);
  }), 3, 'No fallback taken.');

  fill('pacing', d.pacing.map(function (p) {
    var req = p.requestsPerSecond !== null && p.requestsRemaining !== null
      ? barCell(p.requestsRemaining / p.requestsPerSecond, int(p.requestsRemaining) + ' left \u00b7 ' + num(p.requestsPerSecond) + '/s', 'ok', true)
      : cell(p.requestsPerSecond !== null ? num(p.requestsPerSecond) + ' per s' : (p.requestsRemaining !== null ? int(p.requestsRemaining) + ' left' : 'unknown'), 'why');
    var tok = p.tokensPerMinute !== null && p.tokensRemaining !== null
      ? barCell(p.tokensRemaining / p.tokensPerMinute, compact(p.tokensRemaining) + ' left \u00b7 ' + compact(p.tokensPerMinute) + '/min', 'ok', true)
      : cell(p.tokensPerMinute !== null ? compact(p.tokensPerMinute) + ' per min' : (p.tokensRemaining !== null ? compact(p.tokensRemaining) + ' left' : 'unknown'), 'why');
    var key = cell(p.key, 'key');
    if (p.stopped) key.appendChild(el('span', 'pill stopped', 'stopped (402)'));
    return row({ 'data-key': p.key }, [key, req, tok, cell(int(p.queued), 'n'), cell(int(p.waits) + (p.waits ? ' \u00b7 ' + secs(p.waitSeconds) : ''), 'n')]);
  }), 5, 'No key has sent a request yet.');

  fill('models', t.models.map(function (m) {
    return row({ 'data-model': m.model }, [cell(m.model, 'model', m.model), cell(int(m.attempts), 'n'), cell(int(m.promptTokens), 'n'), cell(int(m.completionTokens), 'n'), cell(usd(m.costUsd), 'n')]);
  }), 5, 'No tokens used yet.');

  fill('budgets', (d.budgets || []).map(function (b) {
    var left = Math.max(0, b.limitUsd - b.spentUsd - b.reservedUsd);
    return row({ 'data-client': b.client }, [cell(b.client, 'key'), cell(usd(b.limitUsd) + (b.per === 'total' ? ' in total' : ' per UTC ' + b.per), 'why'), cell(usd(b.spentUsd), 'n'), cell(usd(b.reservedUsd), 'n'), barCell(b.limitUsd ? left / b.limitUsd : 0, usd(left), 'ok', true)]);
  }), 5, 'No client has a budget.');

  fill('runs', d.runs.map(function (r) {
    var total = r.done + r.left;
    var state = r.stale ? 'stale' : r.state;
    var name = cell(base(r.input) + ' \u2192 ' + base(r.output), 'model', r.input + ' \u2192 ' + r.output + (r.message ? '\n' + r.message : ''));
    return row({ 'data-job': r.jobId }, [
      name,
      pill(state, state === 'stale' ? 'no update' : r.state),
      barCell(total ? r.done / total : 1, int(r.done) + ' / ' + int(total), r.state === 'done' ? 'ok' : ''),
      cell(int(r.failed), 'n failed'),
      cell(int(r.left), 'n left'),
      cell(num(r.ratePerSec) + '/s', 'n rate'),
      cell(r.state === 'running' ? duration(r.etaSec) : '\u2013', 'n eta'),
      cell(usd(r.spendUsd), 'n spend'),
      cell(ago(r.updatedAt, d.at), 'n why')
    ]);
  }), 9, d.runsError ? 'Cannot read run status files: ' + d.runsError : 'No tether run job in the last 24 h.');

  fill('routes', t.byRoute.map(function (r) {
    return row({ 'data-route': r.route }, [cell(r.route, 'model'), cell(int(r.requests), 'n'), cell(int(r.errors), 'n')]);
  }), 3, 'No request yet.');

  fill('retries', t.retries.map(function (r) {
    return row({ 'data-reason': r.category }, [cell(r.category), cell(int(r.count), 'n')]);
  }), 2, 'No retry.');

  var life = d.latencySinceStart;
  $('#lat-life').textContent = life.count ? 'since start: p50 ' + secs(life.p50) + ' \u00b7 p95 ' + secs(life.p95) + ' \u00b7 p99 ' + secs(life.p99) : '';
  $('#config').textContent = 'config #' + d.config;
}

function status(kind, text) {
  var s = $('#status');
  s.className = 'status ' + kind;
  $('#status-text').textContent = text;
}

function tick() {
  fetch('/ui/data.json', { cache: 'no-store', credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(function (r) {
      if (r.status === 401) {
        $('#notice').hidden = false;
        status('down', 'session expired');
        return null;
      }
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    })
    .then(function (d) {
      if (!d) return;
      last = d;
      render(d);
      status('live', 'live \u00b7 updated ' + new Date(d.at).toLocaleTimeString('en-GB'));
    })
    .catch(function (e) {
      status('down', 'gateway unreachable (' + (e && e.message ? e.message : 'error') + '), retrying' + (last ? ' \u00b7 showing ' + new Date(last.at).toLocaleTimeString('en-GB') : ''));
    })
    .then(function () { setTimeout(tick, POLL_MS); });
}
tick();
})();`;
