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

import { bannerControls, isThirdParty, launchBrowser, openSession, stoppedByPolicy } from './browser.mjs';
import { moduleDir, removeDir, startServer } from './server.mjs';

/** Resolves every host but the loopback address to "not found". */
export const OFFLINE_RESOLVER = '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1';

/**
 * How the module's location (/leaks/) is set up for each mode the corpus is
 * judged in. 'off' is mod_consent's rewriter alone. 'enforce' adds the
 * module's Content-Security-Policy, which closes what the rewriter cannot
 * see. The page as written (/leaks/raw/) never has either.
 */
export const MODE_CONF = {
  off: '',
  enforce: 'ConsentCSP Enforce',
};

/** Debian's Chromium with the shared flags plus the offline resolver. */
export function launchOfflineBrowser() {
  return launchBrowser([OFFLINE_RESOLVER]);
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
 * own policy back for /leaks/, and that one is what is being judged there).
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
    '<Location /leaks/>',
    `    ${MODE_CONF[mode]}`,
    '</Location>',
    // after /leaks/, so that it wins for the pages as written
    '<Location /leaks/raw/>',
    '    ConsentEngine Off',
    '    ConsentCSP Off',
    '</Location>',
  ].join('\n');
  const server = await startServer({ extraConf });
  const stop = server.stop.bind(server);
  server.stop = async (opts) => {
    await stop(opts);
    removeDir(pages);
  };
  server.pages = pages;
  return server;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * How long the page is given. Before any choice, and for the page as
 * written: the load event, then no new request for QUIET_MS while no
 * request of the site itself is still open (requests that start late —
 * scripts that insert scripts, stylesheets that import — are what is
 * counted, so it is new requests that keep the wait going; a first-party
 * one still open may yet start one), at most SETTLE_MAX_MS. After "Accept
 * all" the wait is longer (AFTER_QUIET_MS, AFTER_MAX_MS: a restoration on
 * a loaded machine must not be missed), but it ends as soon as the tracker
 * request looked for is seen, as the wait of the page as written does: a
 * passing page costs little, only a failing one waits it out.
 */
const QUIET_MS = 400;
const SETTLE_MAX_MS = 5000;
const AFTER_QUIET_MS = 2000;
const AFTER_MAX_MS = 12000;
const POLL_MS = 50;
/** The server's answer to the decision, and the page the choice loads. */
const DECISION_MS = 10000;
const NEW_PAGE_MS = 15000;
/** Media elements may hold their request open: they do not keep the wait going. */
const LONG_LIVED = new Set(['media', 'websocket', 'eventsource']);

function busy(requests) {
  return requests.some((r) => r.firstParty && !r.done && !LONG_LIVED.has(r.type));
}

/**
 * Two animation frames of the page, at most FRAMES_MAX_MS: what loads
 * lazily (loading=lazy frames and images) starts once the page is laid out
 * and the browser has looked at what is in view, after the load event, and
 * on a loaded machine later than QUIET_MS after it. With JavaScript off
 * the page runs no animation frame callback (and nothing loads lazily).
 */
const FRAMES_MAX_MS = 2000;
async function rendered(page) {
  const frames = page
    .evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))))
    .catch(() => {});
  await Promise.race([frames, sleep(FRAMES_MAX_MS)]);
}

/**
 * Waits as described above; `js` says whether JavaScript is on for the
 * page, `until` (async, optional) ends the wait early when it answers true.
 * Resolves to whether it did.
 */
async function settlePage(page, requests, { js, quiet = QUIET_MS, max = SETTLE_MAX_MS, until = null }) {
  const deadline = Date.now() + max;
  await page.waitForLoadState('load', { timeout: max }).catch(() => {});
  if (js) await rendered(page);
  let count = -1;
  let since = 0;
  for (;;) {
    if (until && (await until())) return true;
    if (requests.length !== count) {
      count = requests.length;
      since = Date.now();
    } else if (Date.now() - since >= quiet && !busy(requests)) {
      return false;
    }
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

/**
 * Requests that left the machine, or would have but for this harness's
 * network policy: those for another host, less those the browser itself
 * refused because of the page's Content-Security-Policy.
 */
export function leftMachine(list) {
  return list.filter((r) => !r.firstParty && !stoppedByPolicy(r));
}

/** The tracker attempts of an observation: requests (or live hints) matching the entry. */
export function attempts(entry, requests, hints) {
  if (entry.witness === 'dom') return hints.filter((h) => entry.expect.test(h.href));
  return leftMachine(requests).filter((r) => entry.expect.test(r.url));
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

/** An `until` for settlePage: the entry's tracker attempt is there (from index `from`). */
function attemptSeen(page, entry, requests, from) {
  if (entry.witness === 'dom') return async () => attempts(entry, [], await liveHints(page)).length > 0;
  // a request counts once its fate is known: the policy may still refuse it
  return async () => attempts(entry, requests.slice(from).filter((r) => r.done), []).length > 0;
}

/**
 * Whether the page reloads on "Accept all": with JavaScript off the form's
 * answer is a new page; with it on, consent.js reloads the page when the
 * module's policy (ConsentCSP Enforce) left out a category now granted —
 * the categories are in its data-csp-reload, and "Accept all" grants each.
 */
async function reloadsOnAccept(page, js) {
  if (!js) return true;
  const cats = await page
    .evaluate(() => document.querySelector('script[data-csp-reload]')?.getAttribute('data-csp-reload') || '')
    .catch(() => '');
  return cats.trim() !== '';
}

/**
 * Clicks "Accept all" and waits for the server's answer to the decision.
 * Fails at once, saying where it went, when the decision is posted to
 * another host (a <base> elsewhere): that is no consent.
 */
async function acceptAll(page) {
  const isDecision = (req) => req.method() === 'POST' && new URL(req.url()).pathname === '/_consent/decision';
  const answered = page.waitForResponse((res) => isDecision(res.request()) && !isThirdParty(res.url()), {
    timeout: DECISION_MS,
  });
  const lost = page
    .waitForEvent('requestfailed', { predicate: (req) => isDecision(req) && isThirdParty(req.url()), timeout: DECISION_MS })
    .then((req) => {
      throw new Error(`the decision was posted to ${req.url()}, not to this site`);
    });
  answered.catch(() => {});
  lost.catch(() => {});
  await bannerControls(page).accept.click({ timeout: DECISION_MS });
  return Promise.race([answered, lost]);
}

/** Gives the browser a moment to say how the requests for other hosts ended. */
async function drain(requests) {
  const deadline = Date.now() + 1000;
  while (requests.some((r) => !r.firstParty && !r.done) && Date.now() < deadline) await sleep(POLL_MS);
}

/**
 * Visits one corpus page and records what the browser attempts.
 *   where: 'raw' (served as written) or 'module' (through mod_consent)
 *   js:    JavaScript on or off for the context
 *   accept: after the first observation, click "Accept all" and record again
 * Resolves to { before, hintsBefore, after, hintsAfter, error, status,
 * policy, policyAfter, ms } where `before`/`after` are the requests (see
 * openSession) attempted before and after the choice (`after` is null
 * without `accept`), `policy` the Content-Security-Policy the page came
 * with, `policyAfter` that of the last page loaded after the choice and
 * `refusedAfter` what the browser said that policy refused (see openSession's
 * watchCsp; frames and fetch() are refused without a request).
 * Served as written, the wait ends once the entry's tracker request is seen;
 * through the module, the page is left until it is quiet.
 */
export async function observe(browser, server, entry, { where, js, accept = false }) {
  const session = await openSession(browser, server, { javaScriptEnabled: js, watchCsp: true, ...(entry.context || {}) });
  const { page, requests } = session;
  const result = {
    before: [],
    hintsBefore: [],
    after: null,
    hintsAfter: [],
    error: null,
    status: null,
    policy: null,
    policyAfter: null,
    refusedAfter: [],
    ms: 0,
  };
  const started = Date.now();
  const url = server.url(`/leaks/${where === 'raw' ? 'raw/' : ''}${pageFile(entry)}`);
  const until = where === 'raw' ? attemptSeen(page, entry, requests, 0) : null;
  const settle = (options = {}) => settlePage(page, requests, { js, ...options });
  try {
    const res = await page.goto(url, { waitUntil: 'commit', timeout: 10000 }).catch((e) => {
      result.error = `goto: ${e.message.split('\n')[0]}`;
      return null;
    });
    result.status = res ? res.status() : null;
    result.policy = res ? (await res.allHeaders())['content-security-policy'] || null : null;
    let seen = await settle({ until });
    // served as written, a click that brought no attempt (the page not yet
    // laid out on a loaded machine) is tried once more: that run proves the
    // path works, and a missed click would prove nothing
    let clickError = null;
    for (let tries = where === 'raw' ? 2 : 1; entry.needsClick && !seen && tries > 0; tries--) {
      clickError = await page
        .click(entry.needsClick, { timeout: 3000, noWaitAfter: true })
        .then(() => null)
        .catch((e) => `click ${entry.needsClick}: ${e.message.split('\n')[0]}`);
      seen = await settle({ until });
    }
    // served as written, a page that brought no attempt is loaded once more
    // (an animation or a timer may not have run yet on a loaded machine),
    // for the same reason: this run is the proof that the path fetches
    if (where === 'raw' && !seen && !entry.needsClick && !result.error) {
      await page.reload({ waitUntil: 'commit', timeout: 10000 }).catch(() => {});
      seen = await settle({ until });
    }
    result.error = result.error || clickError;
    if (entry.witness === 'dom') result.hintsBefore = await liveHints(page);
    await drain(requests);
    result.before = requests.slice();
    if (accept) {
      const from = requests.length;
      const fromCsp = session.csp.length;
      // the policy of the page the choice leaves in the tab
      page.on('response', (res) => {
        if (res.request().isNavigationRequest() && res.frame() === page.mainFrame()) {
          result.policyAfter = res.headers()['content-security-policy'] || null;
        }
      });
      try {
        // a click has left the page: back to it, still without consent
        if (entry.needsClick) {
          await page.goto(url, { waitUntil: 'commit', timeout: 10000 });
          await settle();
        }
        const newPage = (await reloadsOnAccept(page, js)) ? page.waitForEvent('load', { timeout: NEW_PAGE_MS }) : null;
        newPage?.catch(() => {});
        await acceptAll(page);
        if (newPage) {
          await newPage.catch(() => {
            throw new Error(`no new page loaded within ${NEW_PAGE_MS} ms of the choice (${js ? "consent.js's reload for the new policy" : "the form's answer"})`);
          });
        }
        const seen = attemptSeen(page, entry, requests, from);
        if (entry.needsClick) {
          await settle();
          await page.click(entry.needsClick, { timeout: 3000, noWaitAfter: true }).catch(() => {});
        }
        await settle({ quiet: AFTER_QUIET_MS, max: AFTER_MAX_MS, until: seen });
      } catch (e) {
        result.error = `Accept all: ${e.message.split('\n')[0]}`;
      }
      if (entry.witness === 'dom') result.hintsAfter = await liveHints(page);
      await drain(requests);
      result.after = requests.slice(from);
      result.refusedAfter = session.csp.slice(fromCsp);
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
