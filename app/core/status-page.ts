import type { StoreSnapshot } from './store.js'
import type { DeadLetter, RecentOutcome, ServiceKey, TriggeredDeployment } from './types.js'
import type { Seen } from './observe/observer.js'

export interface StatusPageInfo {
  now: number
  storeKind: string
  keptnMode: string
  version: string
  /** Seconds between self-refreshes; 0 turns refreshing off. */
  refreshSeconds?: number
  /**
   * The limit the snapshot was read with: as many dead letters as that are the newest of possibly
   * more (the store keeps up to 1,000 per shard, and reading them all on every refresh is waste).
   */
  listLimit?: number
  /** What observation (OBSERVE_INTERVAL) last saw per pending deployment; absent when it is off. */
  observed?: (triggeredId: string) => Seen | undefined
}

const htmlEscapes: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'
}

export function escapeHtml (s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, c => htmlEscapes[c] ?? c)
}

const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]]

/** The largest unit and the next one when non-zero: "3m 12s", "2h", "1d 4h". The sign is dropped. */
export function formatDuration (ms: number): string {
  if (!Number.isFinite(ms)) return '?'
  const total = Math.abs(ms)
  const first = units.findIndex(([, size]) => total >= size)
  if (first < 0) return '0s'
  const [name, size] = units[first]!
  const head = `${Math.floor(total / size)}${name}`
  const next = units[first + 1]
  const tail = next === undefined ? 0 : Math.floor((total % size) / next[1])
  return next !== undefined && tail > 0 ? `${head} ${tail}${next[0]}` : head
}

function ago (at: number, now: number): string {
  return at > now ? `in ${formatDuration(at - now)}` : `${formatDuration(now - at)} ago`
}

function isoTime (at: number): string {
  const d = new Date(at)
  return Number.isNaN(d.getTime()) ? '' : d.toISOString()
}

function when (at: number, now: number): string {
  return `<time datetime="${escapeHtml(isoTime(at))}" title="${escapeHtml(isoTime(at))}">${escapeHtml(ago(at, now))}</time>`
}

function serviceCell (k: ServiceKey): string {
  return `<td class="svc"><span class="dim">${escapeHtml(k.project)} / ${escapeHtml(k.stage)} /</span> <b>${escapeHtml(k.service)}</b></td>`
}

function code (s: string | undefined, max = 0): string {
  if (s === undefined || s === '') return '<span class="dim">–</span>'
  const shown = max > 0 && s.length > max ? `${s.slice(0, max)}…` : s
  return `<code title="${escapeHtml(s)}">${escapeHtml(shown)}</code>`
}

const tones: Record<string, string> = {
  succeeded: 'ok', pass: 'ok', errored: 'bad', fail: 'bad', timeout: 'bad', warning: 'warn', unknown: 'warn', trigger: 'info'
}

function badge (s: string | undefined): string {
  if (s === undefined || s === '') return ''
  return `<span class="badge ${tones[s] ?? ''}">${escapeHtml(s)}</span>`
}

function table (head: string[], rows: string[], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`
  const th = head.map(h => `<th>${escapeHtml(h)}</th>`).join('')
  return `<div class="scroll"><table><thead><tr>${th}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`
}

function observedCell (seen: Seen | undefined, observing: boolean, now: number): string {
  if (!observing) return '<td class="msg"><span class="dim">off</span></td>'
  if (!seen) return '<td class="msg"><span class="dim">not looked yet</span></td>'
  const lines = seen.objects.map(line => escapeHtml(line)).join('<br>')
  return `<td class="msg">${lines} <span class="dim">(${escapeHtml(formatDuration(now - seen.checkedAt))} ago)</span></td>`
}

function pendingRow (td: TriggeredDeployment, now: number, observed?: StatusPageInfo['observed']): string {
  const overdue = td.deadline <= now
  const expects = [
    td.version !== undefined ? `<span class="dim">version</span> ${code(td.version)}` : '',
    td.commit !== undefined ? `<span class="dim">commit</span> ${code(td.commit, 12)}` : ''
  ].filter(Boolean).join(' ') || '<span class="dim">any</span>'
  const deadline = overdue
    ? `<span class="badge bad">overdue ${escapeHtml(formatDuration(now - td.deadline))}</span>`
    : escapeHtml(`in ${formatDuration(td.deadline - now)}`)
  return `<tr${overdue ? ' class="overdue"' : ''}>${serviceCell(td)}<td>${code(td.triggeredId)}</td><td>${code(td.keptnContext)}</td>` +
    `<td>${expects}</td><td class="nw" title="${escapeHtml(isoTime(td.receivedAt))}">${escapeHtml(formatDuration(now - td.receivedAt))}</td>` +
    `<td class="nw" title="${escapeHtml(isoTime(td.deadline))}">${deadline}</td>${observedCell(observed?.(td.triggeredId), observed !== undefined, now)}</tr>`
}

function recentRow (r: RecentOutcome, now: number): string {
  return `<tr><td class="nw">${when(r.at, now)}</td><td>${badge(r.kind)}</td>${serviceCell(r)}` +
    `<td class="nw">${r.status === undefined && r.result === undefined ? code(undefined) : `${badge(r.status)} ${badge(r.result)}`}</td><td class="rev">${code(r.revision, 28)}</td>` +
    `<td class="msg">${escapeHtml(r.message)}</td></tr>`
}

function deadRow (d: DeadLetter, now: number): string {
  const key: ServiceKey = d.entry.kind === 'trigger' ? d.entry.trigger : d.entry.pending
  const last = d.attempts.at(-1)
  const status = last === undefined ? '' : last.status !== undefined ? `HTTP ${last.status}` : 'no response'
  const lastCell = last === undefined
    ? '<span class="dim">no attempts recorded</span>'
    : `<span class="badge bad">${escapeHtml(status)}</span> ${escapeHtml(last.message)}`
  return `<tr><td class="nw">${when(d.deadAt, now)}</td><td class="nw">${code(d.entry.id)} ${badge(d.entry.kind)}</td>${serviceCell(key)}` +
    `<td class="num">${d.attempts.length}</td><td class="msg">${lastCell}</td></tr>`
}

const css = `
:root{color-scheme:light dark;--fg:#1f2328;--dim:#6e7781;--bg:#fff;--line:#d0d7de;--head:#f6f8fa;
--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--info:#0969da;--hot:#ffebe9}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--dim:#8d96a0;--bg:#0d1117;--line:#30363d;--head:#161b22;
--ok:#3fb950;--bad:#f85149;--warn:#d29922;--info:#58a6ff;--hot:#3c1618}}
*{box-sizing:border-box}
body{margin:0;padding:16px 24px;font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:8px 16px;border-bottom:1px solid var(--line);padding-bottom:10px}
h1{font-size:18px;margin:0}h2{font-size:15px;margin:20px 0 6px}h2 .dim{font-weight:normal}
.chips{display:flex;flex-wrap:wrap;gap:6px}
.chip{border:1px solid var(--line);border-radius:12px;padding:1px 10px;font-size:12px;white-space:nowrap}
.chip b{font-weight:600}
.dim{color:var(--dim)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid var(--line)}
th{background:var(--head);font-weight:600;white-space:nowrap}
td.msg{overflow-wrap:anywhere;min-width:14em}.nw{white-space:nowrap}
@media (min-width:1000px){td.svc,td.rev{white-space:nowrap}}
td.rev{overflow-wrap:anywhere}
td.num{text-align:right}
tr.overdue td{background:var(--hot)}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.badge{display:inline-block;border:1px solid currentColor;border-radius:4px;padding:0 5px;font-size:12px;white-space:nowrap}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}.info{color:var(--info)}
.empty{color:var(--dim);font-style:italic;margin:4px 0}
footer{margin-top:20px;color:var(--dim);font-size:12px}
`

export function renderStatusPage (snapshot: StoreSnapshot, info: StatusPageInfo): string {
  const { now } = info
  const refresh = info.refreshSeconds ?? 10
  const pending = [...snapshot.pending].sort((a, b) => a.deadline - b.deadline)
  const recent = [...snapshot.recent].sort((a, b) => b.at - a.at)
  const dead = [...snapshot.deadLetters].sort((a, b) => b.deadAt - a.deadAt)
  const overdue = pending.filter(p => p.deadline <= now).length
  const moreDead = info.listLimit !== undefined && dead.length >= info.listLimit
  const shownOf = (shown: number, total: number): string =>
    shown < total ? ` <span class="dim">(showing ${shown} of ${total})</span>` : ''
  const chip = (label: string, value: string | number, tone = ''): string =>
    `<span class="chip ${tone}">${escapeHtml(label)} <b>${escapeHtml(value)}</b></span>`

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
${refresh > 0 ? `<meta http-equiv="refresh" content="${escapeHtml(refresh)}">\n` : ''}<title>keptn-gitops-bridge status</title>
<style>${css}</style>
</head>
<body>
<header>
<h1>keptn-gitops-bridge <span class="dim">${escapeHtml(info.version)}</span></h1>
<div class="chips">
${chip('store', info.storeKind)}
${chip('keptn', info.keptnMode, info.keptnMode === 'api' ? '' : 'warn')}
${chip('pending', snapshot.pendingCount, overdue > 0 ? 'bad' : '')}
${chip('outbox', snapshot.outboxDepth, snapshot.outboxDepth > 0 ? 'warn' : '')}
${chip('dead letters', moreDead ? `${dead.length}+` : dead.length, dead.length > 0 ? 'bad' : '')}
</div>
</header>
<main>
<h2>Pending deployments${overdue > 0 ? ` <span class="bad">(${overdue} overdue)</span>` : ''}${shownOf(pending.length, snapshot.pendingCount)}</h2>
${table(['Service', 'Triggered id', 'Keptn context', 'Expects', 'Age', 'Deadline', 'Observed'], pending.map(p => pendingRow(p, now, info.observed)), 'No pending deployments')}
<h2>Recent outcomes</h2>
${table(['When', 'Kind', 'Service', 'Result', 'Revision', 'Message'], recent.map(r => recentRow(r, now)), 'No recent outcomes')}
<h2>Dead letters${moreDead ? ` <span class="dim">(the newest ${dead.length})</span>` : ''}</h2>
${table(['When', 'Entry', 'Service', 'Attempts', 'Last attempt'], dead.map(d => deadRow(d, now)), 'No dead letters')}
</main>
<footer>As of <time datetime="${escapeHtml(isoTime(now))}">${escapeHtml(isoTime(now))}</time>${refresh > 0 ? ` · refreshes every ${escapeHtml(refresh)}s` : ''}</footer>
</body>
</html>
`
}
