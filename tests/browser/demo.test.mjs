// The demo clinic site itself: written as such sites are (trackers and
// all, no consent markup of its own), every page held back until the
// visitor decides, and a privacy page whose cookie table comes from the
// server (GET /_consent/declaration).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  assertNoThirdParty,
  assertOnlyEssentialCookies,
  describeRequests,
  expectBanner,
  openSession,
  settle,
} from './lib/browser.mjs';
import { DEMO } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const site = useSite();

const PAGES = fs.readdirSync(DEMO).filter((f) => f.endsWith('.html')).sort();

test('the demo pages are a plain clinic site: own stylesheet, no inline style, no consent markup', () => {
  assert.deepEqual(PAGES, ['en.html', 'index.html', 'kontakt.html', 'om-oss.html', 'personvern.html']);
  for (const file of PAGES) {
    const html = fs.readFileSync(path.join(DEMO, file), 'utf8');
    assert.match(html, /<html lang="(nb|en)">/, `${file}: no lang`);
    assert.match(html, /<link rel="stylesheet" href="\/site\.css">/, `${file}: does not use site.css`);
    assert.doesNotMatch(html, /\sstyle=|<style\b/i, `${file}: inline style`);
    assert.doesNotMatch(html, /data-consent|_consent\/consent\.|id="mc-banner"/, `${file}: consent markup of its own`);
    assert.doesNotMatch(html, /Ved å bruke (nett)?s(tedet|iden)|godtar du (bruk av )?informasjonskapsler/i,
      `${file}: still says that using the site means accepting cookies`);
    for (const tracker of ['googletagmanager.com/gtag/js?id=G-', "gtag('config', 'AW-", "fbq('init'", 'facebook.com/tr?', 'chimpstatic.com', 'snap.licdn.com', 'px.ads.linkedin.com']) {
      assert.ok(html.includes(tracker), `${file}: lacks the site's tracker ${tracker}`);
    }
  }
});

test('every demo page is served, and none sends anything to a third party before a choice', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    for (const file of PAGES) {
      const res = await s.page.goto(site.server.url(`/${file}`));
      assert.equal(res.status(), 200, `/${file}`);
      await settle(s.page);
      await expectBanner(s.page, file === 'en.html' ? 'en' : 'nb');
      assertNoThirdParty(s, `/${file} before a choice`);
    }
    await assertOnlyEssentialCookies(s, 'after visiting every page');
  } finally {
    await s.close();
  }
});

test('the privacy page builds its cookie table from GET /_consent/declaration', async () => {
  const res = await fetch(site.server.url('/_consent/declaration'));
  assert.equal(res.status, 200, `GET /_consent/declaration answered ${res.status}: the endpoint is not there yet`);
  assert.match(res.headers.get('content-type') || '', /^application\/json/);
  const decl = await res.json();
  assert.ok(Array.isArray(decl.categories), `no "categories" list in ${JSON.stringify(decl).slice(0, 200)}`);
  for (const cat of decl.categories) {
    assert.equal(typeof cat.name, 'string');
    assert.equal(typeof cat.required, 'boolean', `${cat.name}: "required" is not a boolean`);
    assert.ok(Array.isArray(cat.cookies), `${cat.name}: "cookies" is not a list`);
  }
  const cookiesOf = (name) => (decl.categories.find((c) => c.name === name) || { cookies: [] }).cookies;
  assert.ok(cookiesOf('statistics').some((c) => c.name === '_ga'), 'statistics does not list _ga');
  assert.ok(cookiesOf('marketing').some((c) => c.name === '_fbp'), 'marketing does not list _fbp');
  assert.ok(decl.categories.find((c) => c.name === 'necessary')?.required, 'necessary is not required');

  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/personvern.html'));
    await settle(s.page);
    const box = s.page.locator('#informasjonskapsler');
    assert.equal(await box.getAttribute('data-filled'), 'true', `the table was not filled: ${await box.innerText()}`);
    const text = await box.innerText();
    for (const expected of ['Statistikk', 'Markedsføring', '_ga', '_fbp', 'alltid på']) {
      assert.ok(text.includes(expected), `the cookie table lacks "${expected}":\n${text}`);
    }
    const row = s.page.locator('#informasjonskapsler tr', { hasText: '_ga' }).first();
    assert.match(await row.innerText(), /Google Analytics/, 'the _ga row does not name Google Analytics');
    assertNoThirdParty(s, 'on the privacy page');
  } finally {
    await s.close();
  }
});

test('with JavaScript off the privacy page says where the cookie choices are', async () => {
  const s = await openSession(site.browser, site.server, { javaScriptEnabled: false });
  try {
    await s.page.goto(site.server.url('/personvern.html'));
    await settle(s.page);
    const box = s.page.locator('#informasjonskapsler');
    assert.match(await box.innerText(), /JavaScript/);
    const link = box.locator('a[href^="/_consent/settings"]');
    assert.equal(await link.count(), 1, 'the noscript text does not link the settings page');
    assertNoThirdParty(s, 'on the privacy page without JavaScript');
  } finally {
    await s.close();
  }
});

test('the demo answers its privacy page and its stylesheet, and keeps its configuration to itself', async () => {
  for (const [p, status, type] of [
    ['/personvern.html', 200, /^text\/html/],
    ['/site.css', 200, /^text\/css/],
    ['/personvern.js', 200, /javascript/],
    ['/httpd.conf.in', 403, null],
    ['/serve.sh', 403, null],
  ]) {
    const res = await fetch(site.server.url(p));
    assert.equal(res.status, status, `${p}: ${res.status}`);
    if (type) assert.match(res.headers.get('content-type') || '', type, `${p}: ${res.headers.get('content-type')}`);
  }
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/'));
    await settle(s.page);
    const bg = await s.page.evaluate(() => getComputedStyle(document.querySelector('.topp')).backgroundColor);
    assert.equal(bg, 'rgb(11, 79, 108)', `site.css did not apply under the policy: ${bg}\n${describeRequests(s.requests)}`);
  } finally {
    await s.close();
  }
});
