// Statistics without marketing (issue 14, item 3): the clinic's standard
// Google tag snippet — gtag.js for Analytics (G-) with an inline config for
// Analytics and Ads (AW-) — next to the Meta Pixel, as a visitor meets it.
//
// Two parties act here and the test keeps them apart:
//   - THE MODULE (what is under test): which elements the server holds
//     back, what consent.js releases on a choice, the Consent Mode commands
//     it puts on dataLayer, the Content-Security-Policy of ConsentCSP.
//   - THE STAND-IN for Google's gtag.js (STAND_IN below, fulfilled for
//     https://www.googletagmanager.com/gtag/js by the test's network route):
//     it behaves like the real one on the points the module relies on, as
//     Google documents them — it reads dataLayer in order, keeps the consent
//     state of 'consent' default/update (no default at all counts as
//     granted), and per 'config' id sends one hit: G- a GA4 collect to
//     region1.google-analytics.com always (with analytics_storage denied
//     the real one sends a cookieless ping; gcs= says which), AW- a
//     viewthroughconversion to googleads.g.doubleclick.net only when
//     ad_storage is granted. The hostile variant sends the Ads hit whatever
//     the consent: a tag that ignores Consent Mode. Hits go by
//     sendBeacon and fetch(), as the real one's do, which consent.js's
//     guard (it watches elements) cannot see: only the policy can stop them.
// Every other request for a third-party host is aborted before it leaves
// (lib/browser.mjs), so what the test counts is the ATTEMPT; a request the
// page's policy stopped never left the renderer and does not count as sent.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  bannerControls,
  choose,
  describeRequests,
  expectBanner,
  openSession,
  settle,
  stoppedByPolicy,
} from './lib/browser.mjs';
import { moduleDir, startServer } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const GA_ID = 'G-TESTGA4X';
const ADS_ID = 'AW-123456789';

// The snippets as Google and Meta hand them out.
const GOOGLE_TAG = (ids) => `<!-- Google tag (gtag.js) -->
<script async src="https://www.googletagmanager.com/gtag/js?id=${GA_ID}"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
${ids.map((id) => `  gtag('config', '${id}');`).join('\n')}
</script>`;

const META_PIXEL = `<!-- Meta Pixel Code -->
<script>
!function(f,b,e,v,n,t,s)
{if(f.fbq)return;n=f.fbq=function(){n.callMethod?
n.callMethod.apply(n,arguments):n.queue.push(arguments)};
if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';
n.queue=[];t=b.createElement(e);t.async=!0;
t.src=v;s=b.getElementsByTagName(e)[0];
s.parentNode.insertBefore(t,s)}(window, document,'script',
'https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '1234567890123456');
fbq('track', 'PageView');
</script>`;

const PAGE = (ids) => `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Fjordklinikken</title>
${GOOGLE_TAG(ids)}
${META_PIXEL}
</head>
<body><h1>Timebestilling</h1><p>Velkommen.</p></body></html>
`;

const STAND_IN = (hostile) => `/* stand-in for Google's gtag.js (tests/browser/gtag.test.mjs) */
(function () {
  var hostile = ${hostile ? 'true' : 'false'};
  var dl = (window.dataLayer = window.dataLayer || []);
  var consent = {};
  var hits = (window.__standInHits = []);
  var granted = function (k) { return consent[k] !== 'denied'; };
  function send(id) {
    var gcs = 'G1' + (granted('ad_storage') ? '1' : '0') + (granted('analytics_storage') ? '1' : '0');
    hits.push({ id: id, gcs: gcs });
    if (/^G-/i.test(id)) {
      navigator.sendBeacon('https://region1.google-analytics.com/g/collect?v=2&tid=' + id + '&gcs=' + gcs + '&en=page_view', '');
    } else if (/^AW-/i.test(id) && (hostile || granted('ad_storage'))) {
      fetch('https://googleads.g.doubleclick.net/pagead/viewthroughconversion/' + id.slice(3) + '/?gcs=' + gcs,
        { mode: 'no-cors', keepalive: true }).catch(function () {});
    }
  }
  function handle(a) {
    /* gtag's commands are arguments objects, not arrays */
    if (!a || typeof a !== 'object' || Array.isArray(a) || typeof a.length !== 'number') return;
    if (a[0] === 'consent' && (a[1] === 'default' || a[1] === 'update') && a[2]) {
      for (var k in a[2]) consent[k] = a[2][k];
    } else if (a[0] === 'config') {
      send(String(a[1]));
    }
  }
  for (var i = 0; i < dl.length; i++) handle(dl[i]);
  dl.push = function () {
    for (var j = 0; j < arguments.length; j++) handle(arguments[j]);
    return Array.prototype.push.apply(dl, arguments);
  };
})();
`;

const GTAG_JS = /^https:\/\/www\.googletagmanager\.com\/gtag\/js/;
const GA_COLLECT = /^https:\/\/region1\.google-analytics\.com\/g\/collect/;
const ADS_HIT = /^https:\/\/googleads\.g\.doubleclick\.net\/pagead\/viewthroughconversion\//;
const PIXEL = /^https:\/\/(connect\.facebook\.net|www\.facebook\.com)\//;
const GOOGLE = /^https?:\/\/([^/]*\.)?(google|googletagmanager|google-analytics|doubleclick|googleadservices|googlesyndication)\.[a-z.]+\//;

// The same page with the Google tag before <head>, where consent.js (at
// the top of <head>) comes after it.
const EARLY_PAGE = (ids) => `<!DOCTYPE html>
<html lang="nb">
${GOOGLE_TAG(ids)}
<head><meta charset="utf-8"><title>Fjordklinikken</title>
${META_PIXEL}
</head>
<body><h1>Timebestilling</h1><p>Velkommen.</p></body></html>
`;

function scope(pages, name, directives, ids, page = PAGE) {
  const dir = path.join(pages, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), page(ids));
  fs.chmodSync(dir, 0o755);
  return `Alias /${name} "${dir}"
<Directory "${dir}">
    Require all granted
${directives.map((d) => `    ${d}`).join('\n')}
    # the demo's own policy allows only the demo's inline scripts, by hash
    Header always unset Content-Security-Policy
</Directory>`;
}

/** The pages, each in a directory of PAGES with its own directives. */
function siteConf(pages) {
  return [
    `LoadModule alias_module ${moduleDir()}/mod_alias.so`,
    scope(pages, 'on', ['ConsentGoogleConsentMode On'], [GA_ID, ADS_ID]),
    scope(pages, 'enforce', ['ConsentGoogleConsentMode On', 'ConsentCSP Enforce'], [GA_ID, ADS_ID]),
    scope(pages, 'early', ['ConsentGoogleConsentMode On'], [GA_ID, ADS_ID], EARLY_PAGE),
    scope(pages, 'off', ['ConsentGoogleConsentMode Off'], [GA_ID, ADS_ID]),
    scope(pages, 'off-ga', ['ConsentGoogleConsentMode Off'], [GA_ID]),
  ].join('\n');
}

const site = useSite({
  servers: { server: (s) => startServer({ extraConf: siteConf(s.tempDir('mc-gtag-site-')) }) },
});

/** A fresh visitor whose gtag.js is the stand-in. */
async function visitor({ hostile = false } = {}) {
  const s = await openSession(site.browser, site.server, { watchCsp: true });
  // registered after the session's own policy, so asked first
  await s.context.route(GTAG_JS, (route) =>
    route.fulfill({ status: 200, contentType: 'text/javascript', body: STAND_IN(hostile) }),
  );
  return s;
}

/** Requests matching RE that left the page (the policy did not stop them). */
const sent = (s, re, from = 0) => s.requests.slice(from).filter((r) => re.test(r.url) && !stoppedByPolicy(r));

async function open(s, p) {
  await s.page.goto(site.server.url(p));
  await settle(s.page, 600);
}

/** The real banner: Settings, tick statistics, save. */
async function statisticsOnly(s) {
  const b = await expectBanner(s.page);
  await b.settings.click();
  await b.category('statistics').check();
  return choose(s, 'save');
}

/** dataLayer as plain arrays (arguments objects included). */
const dataLayer = (page) =>
  page.evaluate(() =>
    (window.dataLayer || []).map((e) => (e && typeof e === 'object' && typeof e.length === 'number' ? Array.from(e) : e)),
  );

const DENIED_ADS = { ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied' };

/** The consent default is in dataLayer before the page's own gtag commands, ads denied. */
function assertConsentFirst(dl, when) {
  const at = (pred) => dl.findIndex((e) => Array.isArray(e) && pred(e));
  const def = at((e) => e[0] === 'consent' && e[1] === 'default');
  const config = at((e) => e[0] === 'config');
  const js = at((e) => e[0] === 'js');
  assert.ok(def >= 0, `${when}: no consent default in dataLayer: ${JSON.stringify(dl)}`);
  assert.ok(config > def && js > def, `${when}: the page's gtag commands come before the consent default: ${JSON.stringify(dl)}`);
  for (const [k, v] of Object.entries(DENIED_ADS)) assert.equal(dl[def][2][k], v, `${when}: default ${k}`);
  // every update before the first config grants analytics and no ads signal
  for (const e of dl.slice(0, config)) {
    if (!Array.isArray(e) || e[0] !== 'consent' || e[1] !== 'update') continue;
    assert.equal(e[2].analytics_storage, 'granted', `${when}: ${JSON.stringify(e)}`);
    for (const k of Object.keys(DENIED_ADS)) assert.equal(e[2][k], 'denied', `${when}: update ${k}: ${JSON.stringify(e)}`);
  }
  const redaction = dl.slice(0, config).filter((e) => Array.isArray(e) && e[0] === 'set' && e[1] === 'ads_data_redaction');
  assert.ok(redaction.length > 0 && redaction.every((e) => e[2] === true), `${when}: ads_data_redaction not set true: ${JSON.stringify(dl)}`);
}

test('no choice: not one request to a Google or Meta host, gtag.js not even fetched', async () => {
  for (const p of ['/on/', '/enforce/', '/off/']) {
    const s = await visitor();
    try {
      await open(s, p);
      await expectBanner(s.page);
      const out = s.requests.filter((r) => GOOGLE.test(r.url) || PIXEL.test(r.url));
      assert.deepEqual(out, [], `${p}: before any choice:\n${describeRequests(out)}`);
      assert.deepEqual(s.thirdParty(), [], `${p}: third-party requests before any choice:\n${describeRequests(s.thirdParty())}`);
    } finally {
      await s.close();
    }
  }
});

test('Consent Mode On, statistics only: GA collects with analytics granted, Ads and the Pixel do not; the same after a reload', async () => {
  const s = await visitor();
  try {
    await open(s, '/on/');
    const res = await statisticsOnly(s);
    assert.ok(res.status() < 400, `the decision was refused: ${res.status()}`);
    await settle(s.page, 800);

    assert.ok(sent(s, GTAG_JS).length > 0, `gtag.js was not fetched after statistics consent:\n${describeRequests(s.requests)}`);
    const collect = sent(s, GA_COLLECT);
    assert.equal(collect.length, 1, `GA collect hits:\n${describeRequests(s.thirdParty())}`);
    assert.match(collect[0].url, /[?&]tid=G-TESTGA4X(&|$)/);
    assert.match(collect[0].url, /[?&]gcs=G101(&|$)/, 'the hit did not carry ads denied, analytics granted');
    assert.deepEqual(sent(s, ADS_HIT), [], `an Ads request left:\n${describeRequests(sent(s, ADS_HIT))}`);
    assert.deepEqual(sent(s, PIXEL), [], `a Meta Pixel request left:\n${describeRequests(sent(s, PIXEL))}`);
    // the stand-in saw the Ads config and kept quiet because ad_storage was denied
    const hits = await s.page.evaluate(() => window.__standInHits);
    assert.deepEqual(hits, [{ id: GA_ID, gcs: 'G101' }, { id: ADS_ID, gcs: 'G101' }]);
    assertConsentFirst(await dataLayer(s.page), 'activated without reload');

    // a returning visitor: the server passes the snippet as written
    const from = s.requests.length;
    await s.page.reload();
    await settle(s.page, 800);
    assert.equal(await bannerControls(s.page).form.isVisible(), false, 'the banner shows again after the choice');
    const html = await (await s.context.request.get(site.server.url('/on/'))).text();
    assert.match(html, /<script async src="https:\/\/www\.googletagmanager\.com\/gtag\/js\?id=G-TESTGA4X"><\/script>/);
    assert.ok(html.includes("<script>\n  window.dataLayer = window.dataLayer || [];"), 'the server still holds the gtag snippet');
    assert.match(html, /data-consent="marketing"[^>]*>\s*!function\(f,b,e,v,n,t,s\)/, 'the Meta Pixel snippet is not held as marketing');
    const again = sent(s, GA_COLLECT, from);
    assert.equal(again.length, 1, `after reload, GA collect hits:\n${describeRequests(s.requests.slice(from))}`);
    assert.match(again[0].url, /[?&]gcs=G101(&|$)/);
    assert.deepEqual(sent(s, ADS_HIT, from), []);
    assert.deepEqual(sent(s, PIXEL, from), []);
    assertConsentFirst(await dataLayer(s.page), 'server-rendered');
  } finally {
    await s.close();
  }
});

test('Consent Mode On, the snippet before <head>: consent.js still runs first, and its commands go first if it did not', async () => {
  const s = await visitor();
  try {
    await open(s, '/early/');
    await statisticsOnly(s);
    await settle(s.page, 800);
    assert.equal(sent(s, GA_COLLECT).length, 1, describeRequests(s.thirdParty()));
    // returning: the server passes the snippet, and puts its own assets
    // before the first element, ahead of the snippet
    const from = s.requests.length;
    await s.page.reload();
    await settle(s.page, 800);
    const order = await s.page.evaluate(() =>
      [...document.scripts].map((e) => (e.src ? new URL(e.src).pathname : 'inline')),
    );
    assert.ok(
      order.indexOf('/_consent/consent.js') >= 0 && order.indexOf('/_consent/consent.js') < order.indexOf('/gtag/js'),
      `consent.js does not run before the Google tag: ${order}`,
    );
    const again = sent(s, GA_COLLECT, from);
    assert.equal(again.length, 1, describeRequests(s.requests.slice(from)));
    assert.match(again[0].url, /[?&]gcs=G101(&|$)/);
    assert.deepEqual(sent(s, ADS_HIT, from), []);
    assertConsentFirst(await dataLayer(s.page), 'snippet before <head>');

    // A gtag that ran before consent.js anyway (put there by a script
    // before the page's own): gtag.js has not read dataLayer yet, so the
    // consent commands go in front of what it holds.
    await s.context.addInitScript(() => {
      window.dataLayer = window.dataLayer || [];
      window.dataLayer.push((function () { return arguments; })('js', new Date()));
      window.dataLayer.push((function () { return arguments; })('config', 'G-TESTGA4X'));
    });
    const before = s.requests.length;
    await s.page.reload();
    await settle(s.page, 800);
    const dl = await dataLayer(s.page);
    assert.deepEqual(dl[0].slice(0, 2), ['consent', 'default'], JSON.stringify(dl));
    assertConsentFirst(dl, 'gtag first');
    const hits = sent(s, GA_COLLECT, before);
    assert.ok(hits.length >= 1 && hits.every((r) => /[?&]gcs=G101(&|$)/.test(r.url)), describeRequests(hits));
    assert.deepEqual(sent(s, ADS_HIT, before), []);
  } finally {
    await s.close();
  }
});

test('ConsentCSP Enforce, statistics only, a gtag.js that pings Ads whatever the consent: the ping never leaves, GA still collects', async () => {
  const s = await visitor({ hostile: true });
  try {
    await open(s, '/enforce/');
    const loaded = s.page.waitForEvent('load', { timeout: 10000 });
    await statisticsOnly(s);
    await loaded; // the policy for statistics needs a new page
    await settle(s.page, 1000);

    const tried = s.requests.filter((r) => ADS_HIT.test(r.url));
    const violations = s.csp.filter((v) => /googleads\.g\.doubleclick\.net/.test(v.blocked || v.console || ''));
    // the stand-in did try: the browser saw it and refused it
    assert.ok(tried.length + violations.length > 0, `the hostile stand-in never tried the Ads host:\n${describeRequests(s.requests)}`);
    assert.deepEqual(sent(s, ADS_HIT), [], `the Ads ping left the browser:\n${describeRequests(sent(s, ADS_HIT))}`);
    assert.ok(violations.length > 0, `no CSP violation for the Ads host: ${JSON.stringify(s.csp)}`);
    const collect = sent(s, GA_COLLECT);
    assert.equal(collect.length, 1, `GA collect hits:\n${describeRequests(s.thirdParty())}`);
    assert.match(collect[0].url, /[?&]gcs=G101(&|$)/);
    assert.deepEqual(sent(s, PIXEL), []);
  } finally {
    await s.close();
  }
});

test('Consent Mode On, Accept all: GA and Ads send with everything granted, and the Pixel loads', async () => {
  const s = await visitor();
  try {
    await open(s, '/on/');
    await expectBanner(s.page);
    await choose(s, 'accept');
    await settle(s.page, 800);
    const collect = sent(s, GA_COLLECT);
    assert.equal(collect.length, 1, describeRequests(s.thirdParty()));
    assert.match(collect[0].url, /[?&]gcs=G111(&|$)/);
    const ads = sent(s, ADS_HIT);
    assert.equal(ads.length, 1, describeRequests(s.thirdParty()));
    assert.match(ads[0].url, /viewthroughconversion\/123456789\//);
    assert.ok(sent(s, PIXEL).length > 0, `the Meta Pixel did not load:\n${describeRequests(s.thirdParty())}`);
    const dl = await dataLayer(s.page);
    const updates = dl.filter((e) => Array.isArray(e) && e[0] === 'consent' && e[1] === 'update');
    assert.equal(updates.at(-1)[2].ad_storage, 'granted', JSON.stringify(dl));
    const redaction = dl.filter((e) => Array.isArray(e) && e[0] === 'set' && e[1] === 'ads_data_redaction');
    assert.equal(redaction.at(-1)[2], false, 'ads_data_redaction still on with marketing granted');
  } finally {
    await s.close();
  }
});

test('Consent Mode Off, statistics only: the snippet with an Ads id stays held, a G-only snippet runs', async () => {
  const s = await visitor();
  try {
    await open(s, '/off/');
    await statisticsOnly(s);
    await settle(s.page, 800);
    // gtag.js itself (its URL names only G-) is statistics and loads, but
    // the config that would make it send anything is marketing: no hit
    assert.deepEqual(sent(s, GA_COLLECT), [], describeRequests(s.thirdParty()));
    assert.deepEqual(sent(s, ADS_HIT), [], describeRequests(s.thirdParty()));
    assert.deepEqual(sent(s, PIXEL), [], describeRequests(s.thirdParty()));
    const held = await s.page.locator('script[type="text/plain"][data-consent="marketing"]').evaluateAll((els) =>
      els.map((e) => e.textContent),
    );
    assert.ok(held.some((t) => t.includes(`gtag('config', '${ADS_ID}')`)), `the gtag snippet is not held as marketing: ${held}`);
    const dl = await dataLayer(s.page);
    assert.equal(dl.filter((e) => Array.isArray(e) && e[0] === 'consent').length, 0, 'Consent Mode commands with Consent Mode off');

    const from = s.requests.length;
    await open(s, '/off-ga/');
    const collect = sent(s, GA_COLLECT, from);
    assert.equal(collect.length, 1, `G-only snippet: GA collect hits:\n${describeRequests(s.requests.slice(from))}`);
    assert.deepEqual(sent(s, ADS_HIT, from), []);
  } finally {
    await s.close();
  }
});
