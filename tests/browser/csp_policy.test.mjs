// ConsentCSP: the module's Content-Security-Policy stops what the HTML
// rewriter cannot see — fetch(), navigator.sendBeacon(), an <img> inserted
// with innerHTML, all with URLs the page's script computes — before
// consent; after "Accept all" the page reloads once and the granted
// trackers start. Under Report the page works as without the policy, and
// the browser's violation reports reach the endpoint and the declaration.
// A request the policy stops never leaves the renderer: Chromium reports it
// as failed with "csp", and it is not counted as sent.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  choose,
  describeRequests,
  expectBanner,
  markDocument,
  openSession,
  sameDocument,
  settle,
} from './lib/browser.mjs';
import { moduleDir, startServer } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

// Host names are put together at run time, as a tag manager would: no
// rewriter rule or inline signature can find them in the markup.
const PAGE = `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>CSP</title></head>
<body>
<h1>Time booking</h1>
<p id="status">not run</p>
<script src="https://www.googletagmanager.com/gtag/js?id=G-CSPTEST"></script>
<script>
  (function () {
    var host = function (parts) { return 'https://' + parts.join('.'); };
    var ga = host(['www', 'google-analytics', 'com']) + '/g/collect?v=2&tid=G-CSPTEST';
    var li = host(['px', 'ads', 'linkedin', 'com']) + '/collect?pid=1&fmt=gif';
    var fb = host(['www', 'facebook', 'com']) + '/tr?id=1&ev=PageView';
    try { fetch(ga, { mode: 'no-cors' }).catch(function () {}); } catch (e) {}
    try { navigator.sendBeacon(li, 'x'); } catch (e) {}
    document.getElementById('status').insertAdjacentHTML('afterend', '<img alt="" src="' + fb + '">');
    document.getElementById('status').textContent = 'script ran';
  })();
</script>
</body></html>
`;

const GA_COLLECT = /^https:\/\/www\.google-analytics\.com\/g\/collect/;
const LI_BEACON = /^https:\/\/px\.ads\.linkedin\.com\/collect/;
const FB_IMG = /^https:\/\/www\.facebook\.com\/tr\?/;
const GTAG = /^https:\/\/www\.googletagmanager\.com\/gtag\/js\?id=G-CSPTEST/;

function scope(pages, urlPath, mode) {
  const dir = path.join(pages, urlPath);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), PAGE);
  return `Alias /${urlPath} "${dir}"
<Directory "${dir}">
    Require all granted
    ConsentCSP ${mode}
    # the demo's own strict policy would refuse this page's inline script
    Header always unset Content-Security-Policy
</Directory>`;
}

/** The page under each mode of ConsentCSP, in directories of PAGES. */
function siteConf(pages) {
  const conf = [
    `LoadModule alias_module ${moduleDir()}/mod_alias.so`,
    scope(pages, 'enforce', 'Enforce'),
    scope(pages, 'report', 'Report'),
    scope(pages, 'off', 'Off'),
  ].join('\n');
  for (const d of fs.readdirSync(pages)) fs.chmodSync(path.join(pages, d), 0o755);
  return conf;
}

const site = useSite({
  servers: { server: (s) => startServer({ extraConf: siteConf(s.tempDir('mc-csp-site-')) }) },
});

function matching(session, re) {
  return session.requests.filter((r) => re.test(r.url));
}

/* Chromium reports a request its policy stopped as a request that failed
 * with "csp": it never left the renderer. What left (or would have, had
 * the test's network policy not aborted it) is every other one. */
function sent(session) {
  return session.thirdParty().filter((r) => !session.stoppedByPolicy.has(r.url));
}

async function visit(p) {
  const s = await openSession(site.browser, site.server, { watchCsp: true });
  s.stoppedByPolicy = new Set();
  s.context.on('requestfailed', (req) => {
    if (req.failure()?.errorText === 'csp') s.stoppedByPolicy.add(req.url());
  });
  await s.page.goto(site.server.url(p));
  await settle(s.page, 600);
  assert.equal(await s.page.locator('#status').innerText(), 'script ran', "the page's own script did not run");
  return s;
}

test('without the policy the page script reaches its trackers (the control)', async () => {
  const s = await visit('/off/');
  try {
    assert.ok(matching(s, GA_COLLECT).length > 0, `fetch() to Google Analytics was not attempted:\n${describeRequests(s.requests)}`);
    assert.ok(matching(s, LI_BEACON).length > 0, `sendBeacon to LinkedIn was not attempted:\n${describeRequests(s.requests)}`);
  } finally {
    await s.close();
  }
});

test('under Enforce nothing reaches a third party before consent', async () => {
  const s = await visit('/enforce/');
  try {
    const out = sent(s);
    assert.deepEqual(out, [], `third-party requests before consent:\n${describeRequests(out)}`);
    assert.ok(s.stoppedByPolicy.size > 0, 'the policy stopped nothing: was it sent?');
    const stopped = s.csp.map((v) => v.blocked || '').join('\n');
    for (const host of ['www.google-analytics.com', 'px.ads.linkedin.com', 'www.facebook.com']) {
      assert.ok(stopped.includes(host), `the policy did not stop ${host}; violations:\n${stopped}`);
    }
  } finally {
    await s.close();
  }
});

test('under Enforce, Reject all keeps the page as it is (no reload)', async () => {
  const s = await visit('/enforce/');
  try {
    await expectBanner(s.page);
    await markDocument(s.page);
    await choose(s, 'reject');
    await settle(s.page);
    assert.ok(await sameDocument(s.page), 'the page reloaded after Reject all');
    assert.deepEqual(sent(s), [], describeRequests(sent(s)));
  } finally {
    await s.close();
  }
});

test('under Enforce, Accept all reloads once and the granted trackers start', async () => {
  const s = await visit('/enforce/');
  try {
    await expectBanner(s.page);
    await s.page.evaluate(() => window.scrollTo(0, 0));
    const loaded = s.page.waitForEvent('load', { timeout: 10000 });
    await choose(s, 'accept');
    await loaded;
    s.stoppedByPolicy.clear();
    await settle(s.page, 800);
    const isLoad = (r) => r.navigation && new URL(r.url).pathname === '/enforce/';
    const loads = s.requests.filter(isLoad);
    assert.equal(loads.length, 2, `the page was not loaded exactly twice (once reloaded):\n${describeRequests(loads)}`);
    assert.equal(await s.page.locator('#status').innerText(), 'script ran');
    const reloaded = s.requests.slice(s.requests.lastIndexOf(loads[1]));
    for (const [what, re] of [
      ['gtag.js (statistics)', GTAG],
      ['fetch() to Google Analytics (statistics)', GA_COLLECT],
      ['sendBeacon to LinkedIn (marketing)', LI_BEACON],
      ['innerHTML <img> to facebook.com/tr (marketing)', FB_IMG],
    ]) {
      const went = reloaded.filter((r) => re.test(r.url) && !s.stoppedByPolicy.has(r.url));
      assert.ok(went.length > 0, `${what} did not start after Accept all:\n${describeRequests(reloaded)}`);
    }
  } finally {
    await s.close();
  }
});

async function blockedHosts() {
  const res = await fetch(site.server.url('/_consent/declaration'));
  assert.equal(res.status, 200);
  return Object.fromEntries((await res.json()).blocked.map((b) => [b.host, b]));
}

test('under Report the page works and the reports reach the declaration', async () => {
  const s = await visit('/report/');
  try {
    assert.ok(matching(s, GA_COLLECT).length > 0, 'Report-Only must not stop the fetch');
    assert.ok(matching(s, LI_BEACON).length > 0, 'Report-Only must not stop the beacon');
    assert.equal(s.stoppedByPolicy.size, 0, `Report-Only stopped: ${[...s.stoppedByPolicy]}`);
    // report-uri posts at once; allow for a slow machine
    const deadline = Date.now() + 20000;
    let hosts = await blockedHosts();
    while (!hosts['www.google-analytics.com'] && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      hosts = await blockedHosts();
    }
    const ga = hosts['www.google-analytics.com'];
    assert.ok(ga, `no report about www.google-analytics.com reached the endpoint: ${JSON.stringify(hosts)}`);
    assert.match(ga.directive, /connect-src/);
    assert.ok(ga.count >= 1);
    const posts = s.requests.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/_consent/csp-report');
    assert.ok(posts.length >= 1, 'the browser posted no report to /_consent/csp-report');
  } finally {
    await s.close();
  }
});
