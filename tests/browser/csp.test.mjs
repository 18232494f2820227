// The demo site sends a strict Content-Security-Policy (no 'unsafe-inline'
// for scripts or styles). mod_consent's banner, consent.js and consent.css
// must work under it, and so must the trackers consent.js activates (the
// site allows their origins and its inline snippets by hash).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  assertNoThirdParty,
  bannerControls,
  choose,
  expectBanner,
  openSession,
  settle,
} from './lib/browser.mjs';
import { DEMO } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const site = useSite();

const PAGES = fs.readdirSync(DEMO).filter((f) => f.endsWith('.html'));

function describeViolations(list) {
  return list.map((v) => `  ${JSON.stringify(v)}`).join('\n');
}

test("the demo's policy is strict: no 'unsafe-inline' or 'unsafe-eval', styles only from the site", async () => {
  const res = await fetch(site.server.url('/'));
  const csp = res.headers.get('content-security-policy');
  assert.ok(csp, 'the demo sends no Content-Security-Policy');
  assert.match(csp, /(^|;)\s*default-src 'self'\s*(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|unsafe-hashes/);
  assert.doesNotMatch(csp, /style-src/, 'styles must fall back to default-src self');
  for (const p of ['/_consent/consent.js', '/_consent/consent.css', '/_consent/state']) {
    const r = await fetch(site.server.url(p));
    assert.equal(r.headers.get('content-security-policy'), csp, `${p} is served without the policy`);
  }
});

test('every inline script of the demo pages is allowed by a hash in the policy', async () => {
  const csp = (await fetch(site.server.url('/'))).headers.get('content-security-policy');
  const missing = [];
  for (const file of PAGES) {
    const html = fs.readFileSync(path.join(DEMO, file), 'utf8');
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      if (/\bsrc=/.test(m[1])) continue;
      const hash = `'sha256-${createHash('sha256').update(m[2], 'utf8').digest('base64')}'`;
      if (!csp.includes(hash)) missing.push(`${file}: ${hash} for <script${m[1]}>${m[2].slice(0, 50).trim()}…`);
    }
  }
  assert.deepEqual(missing, [], `add these to script-src in www/demo/httpd.conf.in:\n${missing.join('\n')}`);
});

test('the violation watcher sees a violation when there is one', async () => {
  // so that "no violation" below means something
  const s = await openSession(site.browser, site.server, { watchCsp: true });
  try {
    await s.page.goto(site.server.url('/om-oss.html'));
    await s.page.evaluate(() => {
      const el = document.createElement('div');
      el.setAttribute('style', 'color: red');
      document.body.appendChild(el);
    });
    await s.page.waitForTimeout(300);
    assert.ok(s.csp.length > 0, 'an inline style attribute went unreported');
  } finally {
    await s.close();
  }
});

test('banner, settings, every choice and the activated trackers cause no CSP violation', async () => {
  const s = await openSession(site.browser, site.server, { watchCsp: true });
  const { page } = s;
  try {
    await page.goto(site.server.url('/'));
    await settle(page);
    const b = await expectBanner(page);
    await b.settings.click();
    await page.keyboard.press('Escape');
    assert.deepEqual(s.csp, [], `with the banner open:\n${describeViolations(s.csp)}`);

    await choose(s, 'reject');
    await settle(page);
    assertNoThirdParty(s, 'after Reject all');
    assert.deepEqual(s.csp, [], `after Reject all:\n${describeViolations(s.csp)}`);

    await page.getByRole('link', { name: 'Innstillinger for informasjonskapsler' }).click();
    assert.ok(await bannerControls(page).form.isVisible(), '"Cookie settings" did not reopen the banner');
    await choose(s, 'accept');
    await settle(page, 800);
    assert.ok(s.attempted('ga').length > 0, 'Accept all activated nothing, so the policy was not exercised');
    assert.deepEqual(s.csp, [], `after Accept all (activated trackers):\n${describeViolations(s.csp)}`);

    for (const file of PAGES) {
      await page.goto(site.server.url(`/${file}`));
      await settle(page);
    }
    assert.deepEqual(s.csp, [], `on the demo pages after a decision:\n${describeViolations(s.csp)}`);
  } finally {
    await s.close();
  }
});

test('the settings page of the endpoint causes no CSP violation', async () => {
  const s = await openSession(site.browser, site.server, { watchCsp: true });
  try {
    const res = await s.page.goto(site.server.url('/_consent/settings?return=/'));
    assert.equal(res.status(), 200, `GET /_consent/settings answered ${res.status()}`);
    await settle(s.page);
    assert.deepEqual(s.csp, [], describeViolations(s.csp));
  } finally {
    await s.close();
  }
});
