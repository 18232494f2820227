// The harness of leaks.test.mjs: serves the leak corpus (tests/browser/lib/
// leak-corpus.mjs) twice from one apache2 — as written under /leaks/raw/
// (ConsentEngine Off) and through mod_consent under /leaks/ — and records,
// per page, every request the browser attempts.
//
// All traffic stays on this machine twice over: every request for a host
// other than 127.0.0.1 is aborted by the session's route (openSession), and
// the browser's own resolver answers "not found" for every such host
// (--host-resolver-rules), so that what the browser does outside the
// request interception (speculative connections, DNS prefetch, its own
// background fetches) cannot leave either.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { CHROMIUM, FLAGS, choose, isThirdParty, openSession } from './browser.mjs';
import { moduleDir, startServer } from './server.mjs';

/** Resolves every host but the loopback address to "not found". */
export const OFFLINE_RESOLVER = '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1';

/**
 * How the server is set up for each mode the corpus is judged in. 'off' is
 * mod_consent's rewriter alone. 'enforce' adds the Content-Security-Policy
 * that closes what the rewriter cannot see; it is listed in ENABLED_MODES
 * of leaks.test.mjs once the directive exists.
 */
export const MODE_CONF = {
  off: '',
  enforce: 'ConsentCSP Enforce',
};

const profiles = new Set();
process.on('exit', () => {
  for (const p of profiles) fs.rmSync(p, { recursive: true, force: true });
});

/** Debian's Chromium with the shared flags plus the offline resolver. */
export async function launchOfflineBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (sh build-aux/deps.sh)`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-chromium-'));
  profiles.add(profile);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    ignoreDefaultArgs: true,
    args: [...FLAGS, OFFLINE_RESOLVER, `--user-data-dir=${profile}`, '--remote-debugging-pipe'],
    timeout: 60000,
  });
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    fs.rmSync(profile, { recursive: true, force: true });
    profiles.delete(profile);
  };
  return browser;
}

/** The file name a corpus entry is served under. */
export function pageFile(entry) {
  return `${entry.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.html`;
}

/** Writes the corpus pages into `dir` (one file an entry, plus a link target). */
export function writePages(dir, corpus) {
  fs.mkdirSync(dir, { recursive: true });
  const seen = new Map();
  for (const entry of corpus) {
    const file = pageFile(entry);
    if (seen.has(file)) throw new Error(`corpus entries "${seen.get(file)}" and "${entry.name}" share ${file}`);
    seen.set(file, entry.name);
    fs.writeFileSync(path.join(dir, file), entry.html);
    for (const [name, text] of Object.entries(entry.files || {})) fs.writeFileSync(path.join(dir, name), text);
  }
  fs.writeFileSync(
    path.join(dir, 'target.html'),
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>target</title></head><body><p>Arrived.</p></body></html>\n',
  );
}

/**
 * One apache2 for one mode: the corpus as written under /leaks/raw/, and
 * through mod_consent under /leaks/. The demo's Content-Security-Policy is
 * taken off these pages: a policy that blocks a request would hide the
 * attempt this corpus is looking for (the 'enforce' mode adds mod_consent's
 * own policy back, and that one is what is being judged there).
 */
export async function startLeakServer(corpus, mode) {
  const pages = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-leaks-'));
  fs.chmodSync(pages, 0o755);
  writePages(pages, corpus);
  for (const f of fs.readdirSync(pages)) fs.chmodSync(path.join(pages, f), 0o644);
  const extraConf = [
    `LoadModule alias_module ${moduleDir()}/mod_alias.so`,
    `Alias /leaks/raw/ "${pages}/"`,
    `Alias /leaks/ "${pages}/"`,
    `<Directory "${pages}">`,
    '    Require all granted',
    '    Header always unset Content-Security-Policy',
    '</Directory>',
    '<Location /leaks/raw/>',
    '    ConsentEngine Off',
    '</Location>',
    MODE_CONF[mode],
  ].join('\n');
  const server = await startServer({ extraConf });
  const stop = server.stop.bind(server);
  server.stop = async (opts) => {
    await stop(opts);
    fs.rmSync(pages, { recursive: true, force: true });
  };
  server.pages = pages;
  return server;
}

/**
 * Lets the page finish what it starts: the load event, then no new request
 * for QUIET_MS (requests that start late — scripts that insert scripts,
 * frames, fonts — are what is being counted, so it is new requests, not open
 * ones, that keep the wait going), at most SETTLE_MAX_MS.
 */
const QUIET_MS = 300;
const SETTLE_MAX_MS = 3000;
async function settlePage(page, requests) {
  await page.waitForLoadState('load', { timeout: SETTLE_MAX_MS }).catch(() => {});
  const deadline = Date.now() + SETTLE_MAX_MS;
  let seen = -1;
  while (seen !== requests.length && Date.now() < deadline) {
    seen = requests.length;
    await page.waitForTimeout(QUIET_MS).catch(() => {});
  }
}

/**
 * <link> hints the browser acts on without a request it reports (in this
 * headless Chromium): preconnect, dns-prefetch, prerender, manifest.
 */
function liveHints(page) {
  return page
    .evaluate(() =>
      [...document.querySelectorAll('link[href]')]
        .filter((l) => /(^|\s)(preconnect|dns-prefetch|prerender|manifest)(\s|$)/i.test(l.getAttribute('rel') || ''))
        .map((l) => ({ rel: l.getAttribute('rel'), href: l.href })),
    )
    .then((list) => list.filter((h) => isThirdParty(h.href)))
    .catch((e) => [{ rel: 'error', href: String(e.message || e) }]);
}

/**
 * Visits one corpus page and records what the browser attempts.
 *   where: 'raw' (served as written) or 'module' (through mod_consent)
 *   js:    JavaScript on or off for the context
 *   accept: after the first observation, click "Accept all" and record again
 * Resolves to { before, hintsBefore, after, hintsAfter, error } where
 * `before`/`after` are the requests (url, type) attempted before and after
 * the choice; `after` is null without `accept`.
 */
export async function observe(browser, server, entry, { where, js, accept = false }) {
  const session = await openSession(browser, server, { javaScriptEnabled: js, ...(entry.context || {}) });
  const { page, requests } = session;
  const result = { before: [], hintsBefore: [], after: null, hintsAfter: [], error: null, status: null, ms: 0 };
  const started = Date.now();
  const url = server.url(`/leaks/${where === 'raw' ? 'raw/' : ''}${pageFile(entry)}`);
  try {
    const res = await page.goto(url, { waitUntil: 'commit', timeout: 10000 }).catch((e) => {
      result.error = `goto: ${e.message.split('\n')[0]}`;
      return null;
    });
    result.status = res ? res.status() : null;
    await settlePage(page, requests);
    if (entry.needsClick) {
      await page
        .click(entry.needsClick, { timeout: 3000, noWaitAfter: true })
        .catch((e) => (result.error = `click ${entry.needsClick}: ${e.message.split('\n')[0]}`));
      await settlePage(page, requests);
    }
    if (entry.witness === 'dom') result.hintsBefore = await liveHints(page);
    result.before = requests.slice();
    if (accept) {
      const from = requests.length;
      try {
        // a click has left the page: back to it, still without consent
        if (entry.needsClick) {
          await page.goto(url, { waitUntil: 'commit', timeout: 10000 });
          await settlePage(page, requests);
        }
        await choose(session, 'accept');
        await settlePage(page, requests);
        if (entry.needsClick) {
          await page.click(entry.needsClick, { timeout: 3000, noWaitAfter: true }).catch(() => {});
          await settlePage(page, requests);
        }
      } catch (e) {
        result.error = `Accept all: ${e.message.split('\n')[0]}`;
      }
      if (entry.witness === 'dom') result.hintsAfter = await liveHints(page);
      result.after = requests.slice(from);
    }
  } finally {
    await session.close();
  }
  result.ms = Date.now() - started;
  return result;
}

/** Runs `jobs` (functions returning promises) with at most `limit` at once. */
export async function pool(jobs, limit) {
  const out = new Array(jobs.length);
  let next = 0;
  async function worker() {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}
