/**
 * The status page: one document, its style and script inline (no build step, no CDN: the manager may have no
 * internet). It reads `/status.json`, then follows `/status/stream`; each change updates only its own row.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Skep status</title>
<style>
  :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --dim:#6b7280; --line:#e5e7eb; --ok:#15803d; --bad:#b91c1c; --wait:#a16207; --bar:#3b82f6; --hot:#ef4444; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; flex-wrap:wrap; gap:24px; align-items:baseline; padding:16px 24px; background:#111827; color:#f9fafb; }
  header h1 { font-size:18px; margin:0; }
  header .fact { color:#d1d5db; } header .fact b { color:#fff; }
  main { padding:16px 24px; display:grid; gap:16px; }
  section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px; }
  h2 { font-size:15px; margin:0 0 8px; }
  .tools { display:flex; gap:12px; align-items:center; margin-bottom:8px; }
  .tools input { padding:6px 10px; border:1px solid var(--line); border-radius:6px; min-width:260px; }
  .summary span { margin-right:14px; }
  table { width:100%; border-collapse:collapse; }
  th { text-align:left; font-weight:600; color:var(--dim); border-bottom:1px solid var(--line); padding:6px 8px; cursor:pointer; user-select:none; white-space:nowrap; }
  th[aria-sort="ascending"]::after { content:" ▲"; } th[aria-sort="descending"]::after { content:" ▼"; }
  td { border-bottom:1px solid var(--line); padding:6px 8px; vertical-align:top; }
  td.addr { color:var(--dim); font-size:12px; }
  .state { font-weight:600; }
  .state.healthy { color:var(--ok); } .state.unhealthy { color:var(--bad); } .state.pending { color:var(--wait); }
  .avail.pause, .avail.drain { color:var(--wait); font-weight:600; }
  .bar { width:120px; height:8px; background:var(--line); border-radius:4px; overflow:hidden; }
  .bar > i { display:block; height:100%; background:var(--bar); }
  .bar.hot > i { background:var(--hot); }
  .num { font-size:12px; color:var(--dim); }
  .labels { font-size:12px; color:var(--dim); max-width:280px; }
  .error { color:var(--bad); font-size:12px; max-width:320px; }
  .cols { display:grid; grid-template-columns: 1fr 1fr; gap:16px; }
  ol.log { list-style:none; margin:0; padding:0; max-height:260px; overflow:auto; font:12px/1.5 ui-monospace, monospace; }
  ol.log li { border-bottom:1px dashed var(--line); padding:2px 0; white-space:pre-wrap; }
  .empty { color:var(--dim); }
  #conn.off { color:#fca5a5; }
</style>
</head>
<body>
<header>
  <h1>Skep</h1>
  <span class="fact">role <b id="role">…</b></span>
  <span class="fact">primary <b id="primary">…</b></span>
  <span class="fact">strategy <b id="strategy">…</b></span>
  <span class="fact">version <b id="version">…</b></span>
  <span class="fact" id="conn">connecting…</span>
</header>
<main>
  <section>
    <div class="tools">
      <h2 style="margin:0">Nodes</h2>
      <input id="filter" type="search" placeholder="Filter by name, address, state, label…" aria-label="Filter nodes">
      <span class="summary" id="summary"></span>
    </div>
    <table>
      <thead><tr>
        <th data-key="name">Node</th><th data-key="health">State</th><th data-key="availability">Availability</th>
        <th data-key="version">Engine</th><th data-key="running">Containers</th><th data-key="cpuShare">CPUs</th>
        <th data-key="memShare">Memory</th><th data-key="labelText">Labels</th><th data-key="error">Error</th>
      </tr></thead>
      <tbody id="nodes"></tbody>
    </table>
  </section>
  <div class="cols">
    <section><h2>Last placement failures</h2><ol class="log" id="failures"><li class="empty">none</li></ol></section>
    <section><h2>Events</h2><ol class="log" id="events"><li class="empty">waiting for events…</li></ol></section>
  </div>
</main>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const rows = new Map(); // addr -> { node, tr }
  let sortKey = 'name', sortDir = 1, filterText = '';
  const collator = new Intl.Collator(undefined, { numeric: true });
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
  const bytes = (n) => { const u = ['B','KiB','MiB','GiB','TiB']; let i = 0; while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; } return (i ? +n.toFixed(1) : n) + ' ' + u[i]; };
  const title = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  const bar = (used, total, text) => {
    const share = total > 0 ? Math.min(1, used / total) : 0;
    return '<div class="bar' + (share > 0.9 ? ' hot' : '') + '"><i style="width:' + (share * 100).toFixed(1) + '%"></i></div><span class="num">' + text + '</span>';
  };
  function decorate(n) {
    n.labelText = Object.entries(n.labels).map(([k, v]) => k + '=' + v).join(', ');
    n.cpuShare = n.cpus ? n.reservedCpus / n.cpus : 0;
    n.memShare = n.memory ? n.reservedMemory / n.memory : 0;
    n.search = [n.name, n.addr, n.health, n.availability, n.version, n.labelText, n.error].join(' ').toLowerCase();
    return n;
  }
  function paint(tr, n) {
    tr.dataset.addr = n.addr;
    tr.innerHTML =
      '<td><div class="name">' + esc(n.name) + '</div><div class="addr">' + esc(n.addr) + '</div></td>' +
      '<td class="state ' + n.health + '">' + title(n.health) + '</td>' +
      '<td class="avail ' + n.availability + '">' + title(n.availability) + '</td>' +
      '<td>' + esc(n.version) + '</td>' +
      '<td>' + n.running + ' running, ' + (n.stopped + n.paused) + ' stopped</td>' +
      '<td>' + bar(n.reservedCpus, n.cpus, n.reservedCpus + ' / ' + n.cpus) + '</td>' +
      '<td>' + bar(n.reservedMemory, n.memory, bytes(n.reservedMemory) + ' / ' + bytes(n.memory)) + '</td>' +
      '<td class="labels">' + esc(n.labelText) + '</td>' +
      '<td class="error">' + esc(n.error) + '</td>';
    tr.hidden = filterText !== '' && !n.search.includes(filterText);
  }
  function upsert(n) {
    decorate(n);
    let row = rows.get(n.addr);
    if (!row) { row = { tr: document.createElement('tr') }; rows.set(n.addr, row); }
    row.node = n;
    paint(row.tr, n);
  }
  function order() {
    const body = $('nodes');
    const list = [...rows.values()].sort((a, b) => {
      const x = a.node[sortKey], y = b.node[sortKey];
      return (typeof x === 'number' ? x - y : collator.compare(String(x), String(y))) * sortDir || collator.compare(a.node.name, b.node.name);
    });
    // rows move only when the order changed, and then all at once (one layout, not one per row)
    if (list.some((row, i) => body.children[i] !== row.tr)) {
      const moved = document.createDocumentFragment();
      for (const row of list) moved.appendChild(row.tr);
      body.appendChild(moved);
    }
    summary();
  }
  function summary() {
    const c = { healthy: 0, unhealthy: 0, pending: 0 };
    let shown = 0;
    for (const { node, tr } of rows.values()) { c[node.health]++; if (!tr.hidden) shown++; }
    $('summary').innerHTML = '<span>' + rows.size + ' nodes</span><span class="state healthy">' + c.healthy + ' healthy</span><span class="state unhealthy">' + c.unhealthy + ' unhealthy</span><span class="state pending">' + c.pending + ' pending</span>' + (shown < rows.size ? '<span>' + shown + ' shown</span>' : '');
  }
  function manager(m) {
    $('role').textContent = m.role; $('primary').textContent = m.primary || 'none';
    $('strategy').textContent = m.strategy; $('version').textContent = m.version;
  }
  function failures(list) {
    const ol = $('failures');
    ol.innerHTML = list.length ? '' : '<li class="empty">none</li>';
    for (const f of list) {
      const li = document.createElement('li');
      li.textContent = f.time.slice(11, 19) + ' ' + f.kind + ': ' + f.message;
      ol.appendChild(li);
    }
  }
  function events(list, dropped) {
    const ol = $('events');
    if (ol.firstElementChild && ol.firstElementChild.classList.contains('empty')) ol.innerHTML = '';
    for (const e of list) {
      const li = document.createElement('li');
      li.textContent = new Date((e.time || Date.now() / 1000) * 1000).toISOString().slice(11, 19) + ' ' + e.node + ' ' + e.type + ' ' + e.action + (e.actor ? ' ' + e.actor : '');
      ol.insertBefore(li, ol.firstChild);
    }
    if (dropped) { const li = document.createElement('li'); li.textContent = '… and ' + dropped + ' more'; ol.insertBefore(li, ol.firstChild); }
    while (ol.children.length > 200) ol.lastChild.remove();
  }
  function snapshot(s) {
    rows.clear(); $('nodes').innerHTML = '';
    s.nodes.forEach(upsert); order(); manager(s.manager); failures(s.failures);
  }
  document.querySelectorAll('th[data-key]').forEach((th) => th.addEventListener('click', () => {
    const key = th.dataset.key;
    sortDir = key === sortKey ? -sortDir : 1; sortKey = key;
    document.querySelectorAll('th').forEach((h) => h.removeAttribute('aria-sort'));
    th.setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
    order();
  }));
  $('filter').addEventListener('input', (e) => {
    filterText = e.target.value.trim().toLowerCase();
    for (const { node, tr } of rows.values()) tr.hidden = filterText !== '' && !node.search.includes(filterText);
    summary();
  });
  const source = new EventSource('status/stream');
  source.addEventListener('open', () => { $('conn').textContent = 'live'; $('conn').className = 'fact'; });
  source.addEventListener('error', () => { $('conn').textContent = 'reconnecting…'; $('conn').className = 'fact off'; });
  source.addEventListener('snapshot', (e) => snapshot(JSON.parse(e.data)));
  source.addEventListener('nodes', (e) => {
    const d = JSON.parse(e.data);
    d.changed.forEach(upsert);
    for (const addr of d.removed) { const row = rows.get(addr); if (row) { row.tr.remove(); rows.delete(addr); } }
    order();
  });
  source.addEventListener('manager', (e) => manager(JSON.parse(e.data)));
  source.addEventListener('failures', (e) => failures(JSON.parse(e.data)));
  source.addEventListener('events', (e) => { const d = JSON.parse(e.data); events(d.events, d.dropped); });
})();
</script>
</body>
</html>
`;
