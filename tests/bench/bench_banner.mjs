// What mod_consent's banner costs the page, measured in headless Chromium
// with the browser's own performance APIs on the demo site. A benchmark: it
// PRINTS numbers (a Markdown table), it asserts nothing.
//
//   node tests/bench/bench_banner.mjs          (BENCH_RUNS=10 by default)
//
// (a) cumulative layout shift with the module on (layout-shift entries,
//     buffered, from navigation until 1 s after load), and the nodes shifted;
// (b) interaction latency of Accept all and of Reject all (Event Timing:
//     the 'first-input' entry and 'event' entries of the click, buffered,
//     durationThreshold 16), median of N fresh page loads each;
// (c) largest-contentful-paint with the module on and with ConsentEngine Off,
//     median of N loads each, interleaved;
// plus the payload of consent.js and consent.css as served (raw, gzip -9).
import zlib from 'node:zlib';

import { DESKTOP, launchBrowser } from '../browser/lib/browser.mjs';
import { startServer } from '../browser/lib/server.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 10);
const started = Date.now();

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

// Installed before any script of the page: collects the entries from the start.
function observers() {
  window.__bench = { shifts: [], events: [], first: [], lcp: [] };
  const describe = (n) => {
    if (!n || n.nodeType !== 1) return n ? n.nodeName : '(removed node)';
    return `${n.tagName.toLowerCase()}${n.id ? `#${n.id}` : ''}${n.classList.length ? `.${[...n.classList].join('.')}` : ''}`;
  };
  const watch = (type, fn, extra = {}) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(fn)).observe({ type, buffered: true, ...extra });
    } catch {
      /* not supported: the field stays empty */
    }
  };
  watch('layout-shift', (e) =>
    window.__bench.shifts.push({
      value: e.value,
      recent: e.hadRecentInput,
      at: e.startTime,
      nodes: (e.sources || []).map((s) => describe(s.node)),
    }));
  const ev = (e) => ({
    name: e.name,
    start: e.startTime,
    processingStart: e.processingStart,
    processingEnd: e.processingEnd,
    duration: e.duration,
  });
  watch('event', (e) => window.__bench.events.push(ev(e)), { durationThreshold: 16 });
  watch('first-input', (e) => window.__bench.first.push(ev(e)));
  watch('largest-contentful-paint', (e) =>
    window.__bench.lcp.push({ at: e.renderTime || e.loadTime || e.startTime, size: e.size, node: describe(e.element) }));
}

// every host name but the loopback address fails to resolve: nothing leaves
// the machine, and a tracker's request fails at once, as the tests' routing
// made it fail
const RESOLVER = '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1';
const escaped = []; // requests to other hosts that were answered: none, or the run is void

// A fresh context, its requests not intercepted: the browser tests'
// request routing passes every request through Playwright's process, which
// here added tens of milliseconds to each of the module's render-blocking
// assets and to the decision's POST. Other hosts are kept out by the
// browser's resolver instead (RESOLVER below).
async function freshPage(browser) {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'nb-NO' });
  await context.addInitScript(observers);
  context.on('requestfinished', (req) => {
    if (new URL(req.url()).hostname !== '127.0.0.1') escaped.push(req.url());
  });
  const page = await context.newPage();
  return { context, page, close: () => context.close() };
}

async function loadAndWait(s, url) {
  await s.page.goto(url, { waitUntil: 'load' });
  await s.page.waitForTimeout(1000);
}

// (a) CLS
async function layoutShift(browser, server, runs) {
  const sums = [];
  const nodes = new Map();
  for (let i = 0; i < runs; i++) {
    const s = await freshPage(browser);
    try {
      await loadAndWait(s, server.url('/'));
      const shifts = await s.page.evaluate(() => window.__bench.shifts);
      sums.push(shifts.filter((x) => !x.recent).reduce((a, x) => a + x.value, 0));
      for (const x of shifts) for (const n of x.nodes) nodes.set(n, (nodes.get(n) || 0) + x.value);
    } finally {
      await s.close();
    }
  }
  return { median: median(sums), max: Math.max(...sums), nodes };
}

// (b) interaction latency of one choice, on a fresh page each time
async function interaction(browser, server, value, runs) {
  const rows = [];
  for (let i = 0; i < runs; i++) {
    const s = await freshPage(browser);
    try {
      await loadAndWait(s, server.url('/'));
      await s.page.evaluate(() => {
        const banner = document.getElementById('mc-banner');
        window.__closed = new Promise((resolve) =>
          new MutationObserver(() => banner.hidden && resolve(performance.now())).observe(banner, { attributes: true }));
      });
      const button = s.page.locator(`#mc-form button[name="method"][value="${value}"]`);
      const box = await button.boundingBox();
      const t0 = await s.page.evaluate(() => performance.now());
      await Promise.all([
        s.page.waitForResponse((r) => new URL(r.url()).pathname === '/_consent/decision', { timeout: 10000 }),
        s.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2),
      ]);
      const closed = await s.page.evaluate(() => Promise.race([window.__closed, new Promise((r) => setTimeout(() => r(NaN), 3000))]));
      await s.page.waitForTimeout(300);
      const b = await s.page.evaluate(() => window.__bench);
      const click = [...b.first, ...b.events].filter((e) => e.name === 'click' || e.name === 'pointerdown' || e.name === 'pointerup' || e.name === 'mousedown');
      const first = b.first[0];
      const clickEvent = b.events.find((e) => e.name === 'click');
      // the click's whole interaction: the longest entry of its events
      const duration = Math.max(...click.map((e) => e.duration), first ? first.duration : 0);
      const processing = clickEvent
        ? clickEvent.processingEnd - clickEvent.processingStart
        : first
          ? first.processingEnd - first.processingStart
          : NaN;
      rows.push({
        firstName: first?.name,
        firstProcessing: first ? first.processingEnd - first.processingStart : NaN,
        firstDuration: first?.duration ?? NaN,
        clickProcessing: processing,
        clickSeen: !!clickEvent,
        duration,
        closed: closed - t0,
      });
    } finally {
      await s.close();
    }
  }
  return {
    firstName: rows[0]?.firstName,
    firstProcessing: median(rows.map((r) => r.firstProcessing)),
    clickProcessing: median(rows.map((r) => r.clickProcessing)),
    clickSeen: rows.filter((r) => r.clickSeen).length,
    duration: median(rows.map((r) => r.duration)),
    closed: median(rows.map((r) => r.closed)),
    n: rows.length,
  };
}

// (c) LCP with the module on and off, interleaved
async function lcp(browser, on, off, runs) {
  const res = { on: [], off: [], nodeOn: null, nodeOff: null };
  for (let i = 0; i < runs; i++) {
    for (const [key, server] of [['on', on], ['off', off]]) {
      const s = await freshPage(browser);
      try {
        await s.page.goto(server.url('/'), { waitUntil: 'load' });
        await s.page.waitForTimeout(500);
        const list = await s.page.evaluate(() => window.__bench.lcp);
        const last = list[list.length - 1];
        res[key].push(last ? last.at : NaN);
        if (last) res[key === 'on' ? 'nodeOn' : 'nodeOff'] = last.node;
      } finally {
        await s.close();
      }
    }
  }
  return { on: median(res.on), off: median(res.off), nodeOn: res.nodeOn, nodeOff: res.nodeOff };
}

async function payload(server) {
  const out = [];
  for (const p of ['/_consent/consent.js', '/_consent/consent.css']) {
    const plain = await fetch(server.url(p), { headers: { 'accept-encoding': 'identity' } });
    const body = Buffer.from(await plain.arrayBuffer());
    const gz = await fetch(server.url(p), { headers: { 'accept-encoding': 'gzip' } });
    out.push({
      path: p,
      status: plain.status,
      raw: body.length,
      gzip9: zlib.gzipSync(body, { level: 9 }).length,
      servedEncoding: gz.headers.get('content-encoding') || 'none',
      cache: plain.headers.get('cache-control') || '',
    });
  }
  return out;
}

async function bannerMarkup(on, off) {
  const [a, b] = await Promise.all([on, off].map((s) => fetch(s.url('/'), { headers: { 'accept-language': 'nb' } }).then((r) => r.text())));
  const banner = (a.match(/<div id="mc-reopen-box"[\s\S]*?<\/section>/) || [''])[0];
  return { pageOn: Buffer.byteLength(a), pageOff: Buffer.byteLength(b), banner: Buffer.byteLength(banner), bannerGzip: zlib.gzipSync(banner, { level: 9 }).length };
}

const on = await startServer();
const off = await startServer({ extraConf: 'ConsentEngine Off' });
const browser = await launchBrowser([RESOLVER]);
let report;
try {
  const offHtml = await (await fetch(off.url('/'))).text();
  if (/mc-banner|\/_consent\/consent\.js/.test(offHtml)) throw new Error('ConsentEngine Off still injects the banner: the comparison would be meaningless');

  const size = await payload(on);
  const markup = await bannerMarkup(on, off);
  const cls = await layoutShift(browser, on, Math.min(RUNS, 5));
  const accept = await interaction(browser, on, 'accept_all', RUNS);
  const reject = await interaction(browser, on, 'reject_all', RUNS);
  const paint = await lcp(browser, on, off, RUNS);
  report = { size, markup, cls, accept, reject, paint };
} finally {
  await browser.close();
  await on.stop();
  await off.stop();
}

if (escaped.length) throw new Error(`requests left the machine, the run is void: ${escaped.slice(0, 5).join(' ')}`);
const { size, markup, cls, accept, reject, paint } = report;
const chromium = process.env.MC_CHROMIUM || '/usr/bin/chromium';
const lines = [];
lines.push(`## mod_consent banner in Chromium (${chromium}, headless, 1280x800, ${RUNS} fresh loads per median)`);
lines.push('');
lines.push('Requests go straight to the server (no interception); other hosts fail to resolve.');
lines.push('');
lines.push('| measure | value | target |');
lines.push('|---|---|---|');
lines.push(`| CLS caused by the banner (load + 1 s, median of ${Math.min(RUNS, 5)}; max) | ${fmt(cls.median, 4)} (max ${fmt(cls.max, 4)}) | 0 |`);
lines.push(`| nodes that shifted | ${cls.nodes.size ? [...cls.nodes].map(([n, v]) => `${n} (${fmt(v, 4)})`).join(', ') : 'none'} | none |`);
for (const [name, r] of [['Accept all', accept], ['Reject all', reject]]) {
  lines.push(`| ${name}: first-input (${r.firstName || 'n/a'}) processingStart→processingEnd, median | ${fmt(r.firstProcessing, 2)} ms | < 30 ms |`);
  lines.push(`| ${name}: click handler processing (event entry in ${r.clickSeen}/${r.n} runs, else first-input), median | ${fmt(r.clickProcessing, 2)} ms | < 30 ms |`);
  lines.push(`| ${name}: interaction duration (input → next paint, 8 ms granularity), median | ${fmt(r.duration, 0)} ms | < 30 ms |`);
  lines.push(`| ${name}: click → banner hidden (incl. POST /_consent/decision), median | ${fmt(r.closed, 1)} ms | (info) |`);
}
lines.push(`| LCP, module on (median; element ${paint.nodeOn}) | ${fmt(paint.on, 1)} ms | |`);
lines.push(`| LCP, ConsentEngine Off (median; element ${paint.nodeOff}) | ${fmt(paint.off, 1)} ms | |`);
lines.push(`| LCP difference (on − off) | ${fmt(paint.on - paint.off, 1)} ms | < 50 ms |`);
lines.push('');
lines.push('### Payload (as served by the module)');
lines.push('');
lines.push('| resource | raw bytes | gzip -9 bytes | served Content-Encoding (Accept-Encoding: gzip) |');
lines.push('|---|---|---|---|');
for (const r of size) lines.push(`| ${r.path} (HTTP ${r.status}) | ${r.raw} | ${r.gzip9} | ${r.servedEncoding} |`);
lines.push(`| banner markup injected into the page | ${markup.banner} | ${markup.bannerGzip} | (inside the HTML) |`);
lines.push(`| total (js + css + markup) | ${size.reduce((a, r) => a + r.raw, 0) + markup.banner} | ${size.reduce((a, r) => a + r.gzip9, 0) + markup.bannerGzip} | |`);
lines.push(`| demo home page, module on / off | ${markup.pageOn} / ${markup.pageOff} | | |`);
lines.push('');
lines.push('Hosted consent managers (Cookiebot, OneTrust, Usercentrics, …): not measured here — their');
lines.push('scripts are third-party downloads this machine cannot fetch, and no published figure is quoted.');
lines.push('');
lines.push(`(finished in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(lines.join('\n'));
