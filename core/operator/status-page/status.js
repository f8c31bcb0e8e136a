// The status page's script, a classic script written inline into index.html when served
// (no build step, no CDN: the manager may have no internet). The stream's first event is a
// snapshot; then each change updates its own row.
(() => {
  const $ = (id) => document.getElementById(id);
  const rows = new Map(); // addr -> { node, tr }
  let sortKey = 'name';
  let sortDir = 1;
  let filterText = '';
  const collator = new Intl.Collator(undefined, { numeric: true });
  // names, labels and errors come from engines and their users:
  // escaped before they go into innerHTML
  const esc = (s) =>
    String(s).replace(
      /[&<>"]/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
    );
  const bytes = (n) => {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) {
      n /= 1024;
      i++;
    }
    return (i ? +n.toFixed(1) : n) + ' ' + u[i];
  };
  const title = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  const bar = (used, total, text) => {
    const share = total > 0 ? Math.min(1, used / total) : 0;
    const hot = share > 0.9 ? ' hot' : '';
    const fill = `<i style="width:${(share * 100).toFixed(1)}%"></i>`;
    return `<div class="bar${hot}">${fill}</div><span class="num">${text}</span>`;
  };
  function decorate(n) {
    n.labelText = Object.entries(n.labels)
      .map(([k, v]) => k + '=' + v)
      .join(', ');
    n.cpuShare = n.cpus ? n.reservedCpus / n.cpus : 0;
    n.memShare = n.memory ? n.reservedMemory / n.memory : 0;
    n.search = [n.name, n.addr, n.health, n.availability, n.version, n.labelText, n.error]
      .join(' ')
      .toLowerCase();
    return n;
  }
  function paint(tr, n) {
    tr.dataset.addr = n.addr;
    tr.innerHTML = [
      `<td><div class="name">${esc(n.name)}</div><div class="addr">${esc(n.addr)}</div></td>`,
      `<td class="state ${n.health}">${title(n.health)}</td>`,
      `<td class="avail ${n.availability}">${title(n.availability)}</td>`,
      `<td>${esc(n.version)}</td>`,
      `<td>${n.running} running, ${n.stopped + n.paused} stopped</td>`,
      `<td>${bar(n.reservedCpus, n.cpus, n.reservedCpus + ' / ' + n.cpus)}</td>`,
      `<td>${bar(n.reservedMemory, n.memory, bytes(n.reservedMemory) + ' / ' + bytes(n.memory))}</td>`,
      `<td class="labels">${esc(n.labelText)}</td>`,
      `<td class="error">${esc(n.error)}</td>`,
    ].join('');
    tr.hidden = filterText !== '' && !n.search.includes(filterText);
  }
  function upsert(n) {
    decorate(n);
    let row = rows.get(n.addr);
    if (!row) {
      row = { tr: document.createElement('tr') };
      rows.set(n.addr, row);
    }
    row.node = n;
    paint(row.tr, n);
  }
  function order() {
    const body = $('nodes');
    const list = [...rows.values()].sort((a, b) => {
      const x = a.node[sortKey];
      const y = b.node[sortKey];
      const byKey = typeof x === 'number' ? x - y : collator.compare(String(x), String(y));
      // ties by name: rows do not swap
      return byKey * sortDir || collator.compare(a.node.name, b.node.name);
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
    for (const { node, tr } of rows.values()) {
      c[node.health]++;
      if (!tr.hidden) shown++;
    }
    $('summary').innerHTML = [
      `<span>${rows.size} nodes</span>`,
      `<span class="state healthy">${c.healthy} healthy</span>`,
      `<span class="state unhealthy">${c.unhealthy} unhealthy</span>`,
      `<span class="state pending">${c.pending} pending</span>`,
      shown < rows.size ? `<span>${shown} shown</span>` : '',
    ].join('');
  }
  function manager(m) {
    $('role').textContent = m.role;
    $('primary').textContent = m.primary || 'none';
    $('strategy').textContent = m.strategy;
    $('version').textContent = m.version;
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
      const time = new Date((e.time || Date.now() / 1000) * 1000).toISOString().slice(11, 19);
      li.textContent =
        time + ' ' + e.node + ' ' + e.type + ' ' + e.action + (e.actor ? ' ' + e.actor : '');
      ol.insertBefore(li, ol.firstChild);
    }
    if (dropped) {
      const li = document.createElement('li');
      li.textContent = '… and ' + dropped + ' more';
      ol.insertBefore(li, ol.firstChild);
    }
    while (ol.children.length > 200) ol.lastChild.remove();
  }
  function snapshot(s) {
    rows.clear();
    $('nodes').innerHTML = '';
    s.nodes.forEach(upsert);
    order();
    manager(s.manager);
    failures(s.failures);
  }
  document.querySelectorAll('th[data-key]').forEach((th) =>
    th.addEventListener('click', () => {
      const key = th.dataset.key;
      sortDir = key === sortKey ? -sortDir : 1;
      sortKey = key;
      document.querySelectorAll('th').forEach((h) => h.removeAttribute('aria-sort'));
      th.setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
      order();
    }),
  );
  $('filter').addEventListener('input', (e) => {
    filterText = e.target.value.trim().toLowerCase();
    for (const { node, tr } of rows.values())
      tr.hidden = filterText !== '' && !node.search.includes(filterText);
    summary();
  });
  // relative, so the page works behind a proxy that serves it under a path prefix
  const source = new EventSource('status/stream');
  source.addEventListener('open', () => {
    $('conn').textContent = 'live';
    $('conn').className = 'fact';
  });
  source.addEventListener('error', () => {
    $('conn').textContent = 'reconnecting…';
    $('conn').className = 'fact off';
  });
  source.addEventListener('snapshot', (e) => snapshot(JSON.parse(e.data)));
  source.addEventListener('nodes', (e) => {
    const d = JSON.parse(e.data);
    d.changed.forEach(upsert);
    for (const addr of d.removed) {
      const row = rows.get(addr);
      if (row) {
        row.tr.remove();
        rows.delete(addr);
      }
    }
    order();
  });
  source.addEventListener('manager', (e) => manager(JSON.parse(e.data)));
  source.addEventListener('failures', (e) => failures(JSON.parse(e.data)));
  source.addEventListener('events', (e) => {
    const d = JSON.parse(e.data);
    events(d.events, d.dropped);
  });
})();
