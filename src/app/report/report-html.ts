import type { TimelineEntry } from '../../ledger/index.js';
import type { ActionItem } from './needs-action.js';
import { actionMesText, mesText, reasonCounts } from './report-formats.js';
import { informationalKinds, type Discrepancy, type ReconciliationReport } from './report.js';
import { texts, type Lang } from './texts.js';

/**
 * The report as one self-contained HTML page: no external asset, works offline from a file. The
 * timelines of the discrepancies' orders are embedded, so a click on a row opens one without a server.
 */
export function reportHtml(
  report: ReconciliationReport,
  lang: Lang,
  timelines: Record<string, TimelineEntry[]>,
): string {
  const t = texts[lang];
  const headline = (label: string, value: number | string, id: string, warn = false) =>
    `<div class="card${warn ? ' warn' : ''}" data-figure="${id}"><div class="value">${esc(String(value))}</div><div class="label">${esc(label)}</div></div>`;
  const ms = (value: number | null) => (value === null ? t.none : `${Math.round(value)} ms`);
  const kinds = (Object.keys(t.kinds) as (keyof typeof t.kinds)[]).filter(
    (k) => !(informationalKinds as readonly string[]).includes(k),
  );
  const row = (
    d: Discrepancy,
    i: number,
  ) => `<tr data-kind="${d.kind}" data-order="${esc(d.orderId)}" data-index="${i}" tabindex="0">
<td><span class="kind k-${d.kind}">${esc(t.kinds[d.kind])}</span></td><td class="order">${esc(d.orderId)}</td><td>${esc(d.since.replace('T', ' ').slice(0, 19))}</td><td>${esc(d.status ?? '')}</td>
<td>${esc(d.detail)}</td><td>${esc(d.mes ? mesText(d.mes, lang) : t.none)}</td><td>${esc(d.action)}</td></tr>`;
  const head = `<thead><tr><th>${esc(t.table.kind)}</th><th>${esc(t.table.order)}</th><th>${esc(t.table.since)}</th><th>${esc(t.table.status)}</th><th>${esc(t.table.detail)}</th><th>${esc(t.table.mes)}</th><th>${esc(t.table.action)}</th></tr></thead>`;
  const { informational, needsAction } = report;
  const actionRow = (
    item: ActionItem,
  ) => `<tr data-order="${esc(item.orderId)}" data-suggestion="${item.suggestion}" tabindex="0">
<td class="order">${esc(item.orderId)}</td><td>${item.reasons.map((r) => `<span class="kind r-${r}">${esc(t.needsAction.reasons[r])}</span>`).join(' ')}</td>
<td>${esc(item.since.replace('T', ' ').slice(0, 19))}<br><b>${esc(t.duration(item.forMs))}</b></td><td>${esc(item.status ?? t.none)}</td><td>${esc(item.mesState ?? t.none)}</td>
<td>${esc(actionMesText(item, lang))}</td><td>${esc([item.deadLetterReason === undefined ? '' : t.needsAction.deadLetter(item.deadLetterReason), item.detail ?? ''].filter(Boolean).join(' · ') || t.none)}</td><td>${esc(item.action)}</td></tr>`;
  const columns = t.needsAction.columns;
  const actionHead = `<thead><tr>${(['order', 'reasons', 'since', 'status', 'mesState', 'mes', 'detail', 'action'] as const).map((c) => `<th>${esc(columns[c])}</th>`).join('')}</tr></thead>`;
  const infoCounts = informationalKinds
    .filter((k) => informational.byKind[k])
    .map((k) => `${t.kinds[k]} ${informational.byKind[k]}`)
    .join(' · ');
  const data = {
    timelines: Object.fromEntries(
      Object.entries(timelines).map(([id, entries]) => [
        id,
        entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
      ]),
    ),
  };
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(t.title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2433;background:#f5f6f8}
header{background:#1d2433;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;opacity:.8}
main{padding:16px 24px;max-width:1400px}section{background:#fff;border-radius:8px;padding:16px;margin:0 0 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:16px;margin:0 0 12px}details{margin-top:16px}summary{cursor:pointer;color:#56607a}.cards{display:flex;flex-wrap:wrap;gap:12px}.card{min-width:120px;padding:10px 14px;border-radius:6px;background:#eef1f6}
.card.warn{background:#fde8e8}.value{font-size:24px;font-weight:600}.label{color:#56607a}.note{color:#a33}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e6ec;vertical-align:top}
tbody tr{cursor:pointer}tbody tr:hover{background:#f0f4ff}.order{font-family:ui-monospace,monospace}.kind{white-space:nowrap;padding:2px 6px;border-radius:4px;background:#eef1f6}
.k-missing_in_mes{background:#f6c1c1;font-weight:600}.k-command_never_acknowledged,.k-status_diverged{background:#fde8e8}.k-acknowledgement_lost,.k-crm_not_informed{background:#fff4d6}
.headline{display:flex;align-items:center;gap:16px;margin-bottom:12px}.headline .card{min-width:160px}.headline .value{font-size:32px}
#actions td:nth-child(-n+3){white-space:nowrap}#actions td:last-child{min-width:320px}.r-lost{background:#f6c1c1;font-weight:600}.r-stuck{background:#fde8e8}.r-quarantined,.r-dead_lettered{background:#fff4d6}
.filters{display:flex;gap:8px;margin-bottom:8px}input,select{font:inherit;padding:4px 6px}
dialog{max-width:min(1100px,95vw);border:none;border-radius:8px;box-shadow:0 8px 30px rgba(0,0,0,.3)}dialog pre{white-space:pre-wrap;font:12px/1.4 ui-monospace,monospace}
svg text{font:11px system-ui,sans-serif;fill:#56607a}
</style></head>
<body>
<header><h1>${esc(t.title)}</h1><p>${esc(t.window(report.window.from, report.window.to))} · ${esc(t.generated(report.generatedAt))}</p></header>
<main>
${report.coverage.complete ? '' : `<p class="note">${esc(t.coverageIncomplete(report.coverage.oldestRecord ?? t.none))}</p>`}
<section id="needs-action"><div class="headline">${headline(t.needsAction.title, needsAction.total, 'needsAction.total', needsAction.total > 0)}<p>${esc(reasonCounts(report, lang))}</p></div>
<h2>${esc(t.needsAction.title)} (${needsAction.total})</h2>
${needsAction.total ? `<table>${actionHead}<tbody id="actions">${needsAction.items.map(actionRow).join('\n')}</tbody></table>` : `<p>${esc(t.needsAction.none)}</p>`}
</section>
<section id="commands"><h2>${esc(t.sections.commands)}</h2><div class="cards">
${(Object.keys(t.commands) as (keyof typeof t.commands)[]).map((k) => headline(t.commands[k], report.commands[k], `commands.${k}`, k === 'lost' && report.commands.lost > 0)).join('\n')}
</div></section>
<section id="events"><h2>${esc(t.sections.events)}</h2><div class="cards">
${(Object.keys(t.events) as (keyof typeof t.events)[]).map((k) => headline(t.events[k], report.events[k], `events.${k}`, k === 'deadLettered' && report.events.deadLettered > 0)).join('\n')}
</div></section>
<section id="latency"><h2>${esc(t.sections.latency)}</h2><div class="cards">
${headline(t.latency.count, report.ackLatencyMs.count, 'ack.count')}${headline('p50', ms(report.ackLatencyMs.p50), 'ack.p50')}${headline('p90', ms(report.ackLatencyMs.p90), 'ack.p90')}${headline('p99', ms(report.ackLatencyMs.p99), 'ack.p99')}${headline(t.latency.max, ms(report.ackLatencyMs.max), 'ack.max')}
</div><h2 style="margin-top:16px">${esc(t.sections.chart)}</h2>${chart(report, t.chartLegend)}</section>
<section id="orders"><h2>${esc(t.sections.orders)}</h2><div class="cards">${statusCards(report.ordersByStatus)}</div>
<h2 style="margin-top:16px">${esc(t.sections.stuck)}</h2><div class="cards">${statusCards(report.stuckByStatus) || esc(t.none)}</div></section>
<section id="discrepancies"><h2>${esc(t.sections.discrepancies)} (<span id="shown">${report.discrepancies.length}</span>/${report.discrepancies.length})</h2>
<p>${esc(t.reconciliation(report.reconciliation.asked, report.reconciliation.answered, report.reconciliation.notAsked, report.reconciliation.limit))}</p>
<div class="filters"><select id="kind"><option value="">${esc(t.table.filterAll)}</option>${kinds.map((k) => `<option value="${k}">${esc(t.kinds[k])}</option>`).join('')}</select>
<input id="search" type="search" placeholder="${esc(t.table.search)}" size="32"></div>
${
  report.discrepancies.length
    ? `<table>${head}
<tbody id="rows">${report.discrepancies.map(row).join('\n')}</tbody></table>`
    : `<p>${esc(t.table.none)}</p>`
}
${
  informational.total
    ? `<details id="informational"><summary>${esc(`${t.sections.informational} (${informational.total}): ${infoCounts}`)}</summary>
<table>${head}<tbody id="info-rows">${informational.items.map(row).join('\n')}</tbody></table></details>`
    : ''
}
</section>
</main>
<dialog id="timeline"><h2><span>${esc(t.table.timeline)}</span> <span id="timeline-order" class="order"></span></h2><pre id="timeline-body"></pre><form method="dialog"><button>${esc(t.table.close)}</button></form></dialog>
<script type="application/json" id="data">${JSON.stringify(data).replaceAll('<', '\\u003c')}</script>
<script>
const data = JSON.parse(document.getElementById('data').textContent);
const kind = document.getElementById('kind'), search = document.getElementById('search'), rows = [...document.querySelectorAll('#rows tr')];
function filter() {
  const k = kind.value, q = search.value.trim().toLowerCase(); let shown = 0;
  for (const row of rows) { const visible = (!k || row.dataset.kind === k) && (!q || row.textContent.toLowerCase().includes(q)); row.hidden = !visible; if (visible) shown++; }
  document.getElementById('shown').textContent = shown;
}
kind.addEventListener('change', filter); search.addEventListener('input', filter);
function open(orderId) {
  const entries = data.timelines[orderId] || [];
  document.getElementById('timeline-order').textContent = orderId;
  document.getElementById('timeline-body').textContent = entries.map((e) => [e.at, e.kind, e.channel || '', e.messageId || '', e.state ? '-> ' + e.state : '', e.detail ? JSON.stringify(e.detail) : '', e.traceId ? 'trace ' + e.traceId : ''].filter(Boolean).join('  ')).join('\\n') || '-';
  document.getElementById('timeline').showModal();
}
for (const row of document.querySelectorAll('#actions tr, #rows tr, #info-rows tr')) { row.addEventListener('click', () => open(row.dataset.order)); row.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(row.dataset.order); }); }
</script>
</body></html>
`;
}

function statusCards(counts: Record<string, number | undefined>): string {
  return Object.entries(counts)
    .map(
      ([status, n]) =>
        `<div class="card" data-figure="status.${esc(status)}"><div class="value">${n ?? 0}</div><div class="label">${esc(status)}</div></div>`,
    )
    .join('');
}

/** Bars: acknowledgements per bucket; line: p99 ack latency per bucket (own scale, right). */
function chart(report: ReconciliationReport, legend: { acknowledged: string; p99: string }): string {
  const { buckets } = report.series;
  const [width, height, left, right, top, bottom] = [900, 220, 40, 50, 10, 30];
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const maxAcks = Math.max(1, ...buckets.map((b) => b.acknowledged));
  const maxP99 = Math.max(1, ...buckets.map((b) => b.p99Ms ?? 0));
  const barW = plotW / Math.max(1, buckets.length);
  const bars = buckets
    .map((b, i) => {
      const h = (b.acknowledged / maxAcks) * plotH;
      return `<rect x="${(left + i * barW + 1).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${Math.max(1, barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#7a9cd6"><title>${esc(b.start)}: ${b.acknowledged}</title></rect>`;
    })
    .join('');
  const points = buckets
    .flatMap((b, i) =>
      b.p99Ms === null
        ? []
        : [`${(left + (i + 0.5) * barW).toFixed(1)},${(top + plotH - (b.p99Ms / maxP99) * plotH).toFixed(1)}`],
    )
    .join(' ');
  const label = (i: number) => esc(buckets[i]?.start.slice(11, 16) ?? '');
  return `<svg id="chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(legend.acknowledged)} / ${esc(legend.p99)}">
<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#c9ced8"/>${bars}
${points ? `<polyline points="${points}" fill="none" stroke="#d0453b" stroke-width="2"/>` : ''}
<text x="${left - 4}" y="${top + 10}" text-anchor="end">${maxAcks}</text><text x="${left + plotW + 4}" y="${top + 10}">${Math.round(maxP99)} ms</text>
<text x="${left}" y="${height - 10}">${label(0)}</text><text x="${left + plotW}" y="${height - 10}" text-anchor="end">${label(buckets.length - 1)}</text>
<text x="${left + plotW / 2 - 120}" y="${height - 10}" fill="#7a9cd6">■ ${esc(legend.acknowledged)}</text><text x="${left + plotW / 2 + 30}" y="${height - 10}" fill="#d0453b">— ${esc(legend.p99)}</text>
</svg>`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
