// Debian's headless Chromium driven by playwright-core (no browser
// download), with the network policy every browser test runs under: each
// request a page makes is recorded, and every one that is not for this
// machine is aborted before it leaves, so what the tests count is the
// ATTEMPT. Plus the helpers the tests share: the banner's controls, the
// consent cookie, waiting for the network to settle.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { REPO, removeDir } from './server.mjs';

export const CHROMIUM = process.env.MC_CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(REPO, 'tests', 'artifacts');

// Exactly these, plus a fresh profile. --remote-debugging-pipe is how
// playwright talks to the browser; it adds none of its own defaults.
export const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 800 };
export const MOBILE = { width: 360, height: 740 };

/** The browser's labels for the banner's choices, per language. */
export const LABELS = {
  nb: { accept: 'Godta alle', reject: 'Avvis alle', settings: 'Innstillinger', save: 'Lagre valgene' },
  en: { accept: 'Accept all', reject: 'Reject all', settings: 'Settings', save: 'Save choices' },
};

/** The consent cookie and the cookies the demo's pages themselves need. */
export const CONSENT_COOKIE = 'consent';
export const ESSENTIAL_COOKIES = new Set([CONSENT_COOKIE, 'PHPSESSID']);

/** The trackers of the demo site: how to tell their requests apart. */
export const TRACKERS = {
  ga: { name: 'Google Analytics (gtag.js)', match: (u) => /^https:\/\/www\.googletagmanager\.com\/gtag\/js\?id=G-/.test(u) },
  meta: { name: 'Meta Pixel (fbevents.js)', match: (u) => /^https:\/\/connect\.facebook\.net\/.*fbevents\.js/.test(u) },
  metaPixel: { name: 'Meta Pixel (facebook.com/tr image)', match: (u) => /^https:\/\/www\.facebook\.com\/tr\?/.test(u) },
  mailchimp: { name: 'Mailchimp (chimpstatic)', match: (u) => /^https:\/\/chimpstatic\.com\//.test(u) },
  youtube: { name: 'YouTube embed', match: (u) => /^https:\/\/www\.youtube\.com\/embed\//.test(u) },
  linkedin: { name: 'LinkedIn Insight (insight.min.js)', match: (u) => /^https:\/\/snap\.licdn\.com\//.test(u) },
  linkedinPixel: { name: 'LinkedIn Insight (px.ads image)', match: (u) => /^https:\/\/px\.ads\.linkedin\.com\//.test(u) },
  maps: { name: 'Google Maps embed', match: (u) => /^https:\/\/www\.google\.com\/maps\/embed/.test(u) },
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Whether a request would leave this machine (data:, blob:, about: never do). */
export function isThirdParty(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (!/^(https?|wss?|ftp):$/.test(u.protocol)) return false;
  return !LOOPBACK.has(u.hostname);
}

let profiles = [];

/** Debian's Chromium, headless, with a fresh profile of its own; EXTRA
 * flags after the shared ones. */
export async function launchBrowser(extra = []) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (sh build-aux/deps.sh)`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-chromium-'));
  profiles.push(profile);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    ignoreDefaultArgs: true,
    args: [...FLAGS, ...extra, `--user-data-dir=${profile}`, '--remote-debugging-pipe'],
    timeout: 60000,
  });
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    removeDir(profile);
    profiles = profiles.filter((p) => p !== profile);
  };
  return browser;
}

process.on('exit', () => {
  for (const p of profiles) removeDir(p);
});

/**
 * A fresh browser context (no cookies) under the network policy. Returns
 * { context, page, requests, thirdParty(), attempted(key), csp, server }.
 * `requests` lists every request any page of the context made, in order:
 * { url, method, type, navigation, firstParty, done, failure }.
 */
export async function openSession(browser, server, options = {}) {
  const { watchCsp = false, ...contextOptions } = options;
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'nb-NO', ...contextOptions });
  const requests = [];
  const records = new WeakMap();
  context.on('request', (req) => {
    const record = {
      url: req.url(),
      method: req.method(),
      type: req.resourceType(),
      navigation: req.isNavigationRequest(),
      firstParty: !isThirdParty(req.url()),
      done: false,
      failure: null,
    };
    records.set(req, record);
    requests.push(record);
  });
  // how each request ended: `done` once answered or failed, `failure` the
  // browser's reason (see stoppedByPolicy)
  context.on('requestfinished', (req) => {
    const record = records.get(req);
    if (record) record.done = true;
  });
  context.on('requestfailed', (req) => {
    const record = records.get(req);
    if (!record) return;
    record.done = true;
    record.failure = req.failure()?.errorText || 'failed';
  });
  await context.route('**/*', (route) =>
    isThirdParty(route.request().url()) ? route.abort('blockedbyclient') : route.continue(),
  );
  const csp = [];
  if (watchCsp) {
    await context.exposeBinding('__mcCspViolation', (_source, v) => csp.push(v));
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__mcCspViolation({
          directive: e.violatedDirective,
          blocked: e.blockedURI,
          sample: e.sample,
          source: e.sourceFile,
          line: e.lineNumber,
          page: location.href,
        });
      });
    });
    context.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) csp.push({ console: msg.text(), page: msg.location().url });
    });
  }
  const page = await context.newPage();
  return {
    context,
    page,
    requests,
    csp,
    server,
    thirdParty() {
      return requests.filter((r) => isThirdParty(r.url));
    },
    /** Requests attempted for a tracker of TRACKERS. */
    attempted(key) {
      return requests.filter((r) => TRACKERS[key].match(r.url));
    },
    async close() {
      await context.close();
    },
  };
}

/** Waits until the page has made no request for a while (trackers start late). */
export async function settle(page, ms = 400) {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.waitForTimeout(ms);
}

/**
 * Whether the browser itself refused a request because of the page's
 * Content-Security-Policy: such a request never leaves the renderer.
 * Chromium reports it as a request that failed with the blocked reason
 * "csp" (an empty error text; playwright passes the reason on), or on
 * some paths with the error net::ERR_BLOCKED_BY_CSP. Requests the policy
 * refuses before any request exists (fetch(), frames) are not reported at all.
 * Chromium reports the same way the scripts (preloads included) it refuses
 * because JavaScript is off: they do not leave the renderer either.
 */
export function stoppedByPolicy(record) {
  return /^csp$|ERR_BLOCKED_BY_CSP/i.test(record.failure || '');
}

export function describeRequests(list) {
  return list.length
    ? list.map((r) => `  ${r.method} ${r.url} (${r.type}${stoppedByPolicy(r) ? ', stopped by the policy' : ''})`).join('\n')
    : '  (none)';
}

export function assertNoThirdParty(session, when) {
  const out = session.thirdParty();
  assert.equal(out.length, 0, `${when}: ${out.length} request(s) for third-party hosts:\n${describeRequests(out)}`);
}

/** The banner form and its controls (DESIGN.md, "Banner"). */
export function bannerControls(page, lang = 'nb') {
  const form = page.locator('form[method="post" i][action$="/decision"]').first();
  const choice = (value) => form.locator(`button[type="submit"][name="method"][value="${value}"]`);
  return {
    form,
    accept: choice('accept_all'),
    reject: choice('reject_all'),
    save: choice('custom'),
    settings: form
      .locator(':is(summary, button:not([name="method"]), [role="button"])')
      .filter({ hasText: new RegExp(`^\\s*${LABELS[lang].settings}\\s*$`) })
      .first(),
    category: (name) => form.locator(`input[type="checkbox"][name="granted"][value="${name}"]`),
  };
}

/** Fails with what is missing when the page has no usable banner. */
export async function expectBanner(page, lang = 'nb') {
  const b = bannerControls(page, lang);
  if ((await b.form.count()) === 0) {
    const html = await page.content();
    const assets = /\/_consent\/consent\.(js|css)/.test(html);
    assert.fail(
      `no consent banner (form posting to /_consent/decision) in ${page.url()}: ` +
        (assets
          ? 'the consent assets are linked but the banner markup is not there'
          : "mod_consent's HTML filter injected nothing (no banner, no /_consent/consent.js) — is the filter built?"),
    );
  }
  for (const [what, loc] of [
    [LABELS[lang].accept, b.accept],
    [LABELS[lang].reject, b.reject],
    [LABELS[lang].settings, b.settings],
  ]) {
    assert.equal(await loc.count(), 1, `the banner has no "${what}" control`);
    assert.ok(await loc.isVisible(), `the banner's "${what}" control is not visible`);
    assert.equal((await loc.innerText()).trim(), what, `the banner's control reads "${await loc.innerText()}"`);
  }
  return b;
}

/** The browser's cookies for the server, by name. */
export async function cookies(session) {
  const list = await session.context.cookies(session.server.origin);
  return Object.fromEntries(list.map((c) => [c.name, c]));
}

/** Cookies a script on the page can see, by name. */
export async function documentCookies(page) {
  const raw = await page.evaluate(() => document.cookie);
  return raw
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.slice(0, s.indexOf('=') < 0 ? s.length : s.indexOf('=')));
}

/** Fails when any cookie the browser holds for the site is not essential. */
export async function assertOnlyEssentialCookies(session, when) {
  const held = Object.keys(await cookies(session));
  const visible = await documentCookies(session.page);
  const extra = [...new Set([...held, ...visible])].filter((n) => !ESSENTIAL_COOKIES.has(n));
  assert.deepEqual(extra, [], `${when}: non-essential cookies exist: ${extra.join(', ')}`);
}

/** Waits until the consent log has N records (the record is written before the answer). */
export async function waitForRecords(server, n, timeout = 5000) {
  const deadline = Date.now() + timeout;
  let got = server.records();
  while (got.length < n && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    got = server.records();
  }
  return got;
}

export function screenshotPath(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/** The visitor's consent state as the endpoint tells it (shares the context's cookies). */
export async function consentState(session) {
  const res = await session.context.request.get(session.server.url('/_consent/state'));
  assert.equal(res.status(), 200, `GET /_consent/state answered ${res.status()}`);
  return res.json();
}

/** The records of the consent log for the visitor's consent id. */
export async function recordsOf(session) {
  const state = await consentState(session);
  assert.ok(state.decided && state.id, `no decision in the consent state: ${JSON.stringify(state)}`);
  return session.server.records().filter((r) => r.id === state.id);
}

/**
 * Clicks a choice of the banner ('accept', 'reject' or 'save') and waits
 * for the server's answer to the decision; returns that response.
 */
export async function choose(session, which, lang = 'nb') {
  const { page } = session;
  const b = bannerControls(page, lang);
  const [res] = await Promise.all([
    page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/_consent/decision' && r.request().method() === 'POST',
      { timeout: 10000 },
    ),
    b[which].click(),
  ]);
  return res;
}

/** Marks the document so that a later check can tell whether it was replaced. */
export async function markDocument(page) {
  await page.evaluate(() => {
    window.__mcSameDocument = true;
  });
}

export async function sameDocument(page) {
  return page.evaluate(() => window.__mcSameDocument === true).catch(() => false);
}

/** First index in the session's requests of a tracker, or -1. */
export function firstRequest(session, key) {
  return session.requests.findIndex((r) => TRACKERS[key].match(r.url));
}
