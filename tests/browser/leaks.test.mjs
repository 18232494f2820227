// Issue 10, "Nothing slips through": with mod_consent on and no consent
// given, a page makes no request to a tracker host, whatever its markup
// does. Each page of the corpus (lib/leak-corpus.mjs, classes listed in
// tests/data/leaks/README.md) is judged in headless Chromium, with
// JavaScript on and off:
//   (a) served as written (ConsentEngine Off): the browser does attempt the
//       tracker request — the page has teeth;
//   (b) served through mod_consent, no consent: no request at all leaves
//       for a host other than 127.0.0.1 (pings, CSS, fonts, frames and
//       redirects included);
//   (c) after "Accept all": the tracker request happens, for the kinds of
//       element that are restored.
// (b) and (c) are judged in each mode of MODE_CONF: 'off' (the rewriter
// alone) and 'enforce' (plus the module's Content-Security-Policy). A
// request the browser itself refused because of that policy never left the
// renderer: it is no attempt that left the machine, in (b) as in (c).
// The browser work is done up front, several pages at once; each test then
// judges what was recorded for it.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { describeRequests, stoppedByPolicy } from './lib/browser.mjs';
import { CLASSES, CORPUS } from './lib/leak-corpus.mjs';
import { MODE_CONF, attempts, launchOfflineBrowser, leftMachine, observe, pool, startLeakServer } from './lib/leaks.mjs';
import { useSite } from './lib/site.mjs';

/**
 * The modes the corpus is judged in: 'off' is the HTML rewriter alone,
 * 'enforce' adds mod_consent's own Content-Security-Policy (directive
 * `ConsentCSP Enforce`). MC_LEAKS_MODES=off (for example) overrides the
 * list for one run.
 */
const ENABLED_MODES = ['off', 'enforce'];
const MODES = process.env.MC_LEAKS_MODES ? process.env.MC_LEAKS_MODES.split(',').map((m) => m.trim()) : ENABLED_MODES;
for (const m of MODES) if (!(m in MODE_CONF)) throw new Error(`unknown mode "${m}" in MC_LEAKS_MODES`);

/** MC_LEAKS_ONLY=regex judges only the entries whose name matches. */
const ONLY = process.env.MC_LEAKS_ONLY ? new RegExp(process.env.MC_LEAKS_ONLY, 'i') : null;
const ENTRIES = ONLY ? CORPUS.filter((e) => ONLY.test(e.name)) : CORPUS;

/** Pages loaded at once (each in its own browser context). */
const PARALLEL = Number(process.env.MC_LEAKS_PARALLEL || 4);

const JS = [
  ['on', true, 'jsOn'],
  ['off', false, 'jsOff'],
];

// one server a mode, under the mode's name
const site = useSite({
  servers: Object.fromEntries(MODES.map((mode) => [mode, () => startLeakServer(CORPUS, mode)])),
  browser: launchOfflineBrowser,
});
const observed = new Map();
const key = (mode, entry, where, js) => `${mode}\u0000${entry.name}\u0000${where}\u0000${js}`;

before(async () => {
  await site.ready;
  const jobs = [];
  for (const mode of MODES) {
    for (const entry of ENTRIES) {
      for (const [label, js, flag] of JS) {
        if (!entry[flag]) continue;
        // (a) needs only one mode: it serves the page as written
        if (mode === MODES[0]) {
          jobs.push(async () => observed.set(key(mode, entry, 'raw', label), await observe(site.browser, site[mode], entry, { where: 'raw', js })));
        }
        jobs.push(async () =>
          observed.set(
            key(mode, entry, 'module', label),
            await observe(site.browser, site[mode], entry, { where: 'module', js, accept: entry.restores }),
          ),
        );
      }
    }
  }
  await pool(
    jobs.map((job) => () => job().catch((e) => e)),
    PARALLEL,
  );
  if (process.env.MC_LEAKS_TIMES) {
    const all = [...observed.values()];
    const total = all.reduce((sum, r) => sum + r.ms, 0);
    console.log(`${all.length} pages observed, ${Math.round(total / 1000)} s of page time, ${PARALLEL} at once`);
    for (const mode of MODES) {
      for (const where of ['raw', 'module']) {
        const part = [...observed].filter(([k]) => k.startsWith(`${mode}\u0000`) && k.includes(`\u0000${where}\u0000`)).map(([, r]) => r);
        if (part.length) {
          console.log(`  ${mode} ${where}: ${part.length} pages, ${Math.round(part.reduce((sum, r) => sum + r.ms, 0) / 1000)} s`);
        }
      }
    }
    const slow = [...observed].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15);
    for (const [k, r] of slow) console.log(`${r.ms} ms  ${k.split('\u0000').join(' | ')}`);
  }
});

function recorded(mode, entry, where, js) {
  const r = observed.get(key(mode, entry, where, js));
  assert.ok(r, `nothing was recorded for this page (the browser work failed before it: see the first failure)`);
  return r;
}

/** What the policy of the page after the choice refused, for a failure's message. */
function refused(r) {
  const stopped = r.after.filter(stoppedByPolicy);
  if (!r.policyAfter && !stopped.length) return '';
  // the console's words end with the whole policy, given below once
  const said = [...new Set(r.refusedAfter.map((v) => (v.console ? v.console.split(' violates ')[0] : `${v.directive} refused ${v.blocked}`)))];
  return (
    `\nrefused by the page's Content-Security-Policy:\n${describeRequests(stopped)}` +
    `${said.length ? `\nthe browser's words:\n${said.map((t) => `  ${t}`).join('\n')}` : ''}` +
    `\nthat policy: ${r.policyAfter || '(none)'}`
  );
}
const hintsText = (list) => (list.length ? list.map((h) => `  <link rel="${h.rel}" href="${h.href}">`).join('\n') : '  (none)');

for (const mode of MODES) {
  describe(`mode ${mode}`, () => {
    for (const [cls, title] of Object.entries(CLASSES)) {
      describe(title, () => {
        for (const entry of ENTRIES.filter((e) => e.class === cls)) {
          const todo = entry.todo?.[mode];
          describe(entry.name, () => {
            for (const [label, , flag] of JS) {
              if (!entry[flag]) continue;
              if (mode === MODES[0]) {
                test(`JS ${label}: (a) served as written, the browser attempts the tracker request`, () => {
                  const r = recorded(mode, entry, 'raw', label);
                  assert.equal(r.status, 200, `the page answered ${r.status} ${r.error || ''}`);
                  assert.equal(r.policy, null, 'the page as written came with a Content-Security-Policy');
                  const got = attempts(entry, r.before, r.hintsBefore);
                  assert.ok(
                    got.length > 0,
                    `no attempt matching ${entry.expect} (${r.error || 'no error'}); requests for other hosts:\n` +
                      `${describeRequests(leftMachine(r.before))}${entry.witness === 'dom' ? `\nlive hints:\n${hintsText(r.hintsBefore)}` : ''}`,
                  );
                });
              }
              test(`JS ${label}: (b) through mod_consent, no consent: no request leaves the machine`, { todo }, () => {
                const r = recorded(mode, entry, 'module', label);
                assert.equal(r.status, 200, `the page answered ${r.status} ${r.error || ''}`);
                if (mode === 'enforce') assert.ok(r.policy, 'ConsentCSP Enforce: the page came without a Content-Security-Policy');
                const out = leftMachine(r.before);
                assert.equal(out.length, 0, `${out.length} request(s) for other hosts before any consent:\n${describeRequests(out)}`);
                if (entry.witness === 'dom') {
                  assert.equal(r.hintsBefore.length, 0, `live hints to other hosts before any consent:\n${hintsText(r.hintsBefore)}`);
                }
              });
              if (entry.restores) {
                test(`JS ${label}: (c) after Accept all, the tracker request happens`, { todo }, () => {
                  const r = recorded(mode, entry, 'module', label);
                  assert.ok(r.after, 'the choice was not made');
                  // the choice itself must go through: a decision posted elsewhere is no consent
                  assert.equal(r.error, null, `${r.error}; requests after the click:\n${describeRequests(r.after)}`);
                  const got = attempts(entry, r.after, r.hintsAfter);
                  const early = attempts(entry, r.before, r.hintsBefore).length > 0;
                  assert.ok(
                    got.length > 0,
                    `no attempt matching ${entry.expect} after Accept all (${r.error || 'no error'})` +
                      `${early ? ' — it was not held back before the choice either (see (b))' : ''}; requests for other hosts:\n` +
                      describeRequests(leftMachine(r.after)) +
                      refused(r),
                  );
                });
              }
            }
          });
        }
      });
    }
  });
}
