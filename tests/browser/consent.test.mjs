// What a visitor of the clinic's site gets, choice by choice, with
// JavaScript on: the banner, what each choice lets through, what the server
// sends afterwards, and what lands in the consent log.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  TRACKERS,
  assertNoThirdParty,
  assertOnlyEssentialCookies,
  bannerControls,
  choose,
  consentState,
  cookies,
  describeRequests,
  expectBanner,
  firstRequest,
  isThirdParty,
  markDocument,
  openSession,
  recordsOf,
  sameDocument,
  settle,
} from './lib/browser.mjs';
import { DEMO } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const site = useSite();

async function visit(p = '/') {
  const session = await openSession(site.browser, site.server);
  await session.page.goto(site.server.url(p));
  await settle(session.page);
  return session;
}

const MARKETING = ['meta', 'metaPixel', 'mailchimp', 'youtube', 'linkedin', 'linkedinPixel', 'maps'];

function assertNotAttempted(session, keys, when) {
  for (const key of keys) {
    const got = session.attempted(key);
    assert.equal(got.length, 0, `${when}: ${TRACKERS[key].name} was attempted:\n${describeRequests(got)}`);
  }
}

function assertAttempted(session, keys, when) {
  for (const key of keys) {
    assert.ok(
      session.attempted(key).length > 0,
      `${when}: ${TRACKERS[key].name} was not attempted; requests made:\n${describeRequests(session.requests)}`,
    );
  }
}

test('before any choice nothing leaves for a third party and only essential cookies exist', async () => {
  const s = await visit('/');
  try {
    await expectBanner(s.page);
    assertNoThirdParty(s, 'before any choice');
    await assertOnlyEssentialCookies(s, 'before any choice');
    const jar = await cookies(s);
    // the filtering is selective: the session cookie the page sets arrives
    assert.ok(jar.PHPSESSID, 'the necessary PHPSESSID cookie never arrived');
    assert.ok(!jar.consent, 'a consent cookie exists before any choice');
    const local = s.requests.map((r) => new URL(r.url).pathname);
    assert.ok(local.includes('/_consent/consent.js'), 'the page did not load /_consent/consent.js');
    assert.ok(local.includes('/_consent/consent.css'), 'the page did not load /_consent/consent.css');
    const state = await consentState(s);
    assert.equal(state.decided, false);
    assert.deepEqual(state.granted, ['necessary']);
  } finally {
    await s.close();
  }
});

test('the banner shows Accept all, Reject all and Settings, and links the privacy policy', async () => {
  const s = await visit('/om-oss.html');
  try {
    const b = await expectBanner(s.page);
    const form = b.form;
    assert.ok(await form.isVisible(), 'the banner is not visible');
    const privacy = form.locator('a[href="/personvern.html"]');
    assert.equal(await privacy.count(), 1, 'the banner does not link /personvern.html (ConsentPrivacyPolicy)');
    const ret = form.locator('input[type="hidden"][name="return"]');
    assert.equal(await ret.getAttribute('value'), '/om-oss.html', 'the form does not return to this page');
  } finally {
    await s.close();
  }
});

test('Settings: no category is pre-ticked and Necessary is locked on', async () => {
  const s = await visit('/');
  try {
    const b = await expectBanner(s.page);
    await b.settings.click();
    const necessary = s.page.locator('#mc-banner input[type="checkbox"][id$="necessary"]');
    for (const name of ['preferences', 'statistics', 'marketing']) {
      const box = b.category(name);
      assert.equal(await box.count(), 1, `no "${name}" switch in the settings`);
      assert.ok(await box.isVisible(), `the "${name}" switch is not visible after opening Settings`);
      assert.equal(await box.isChecked(), false, `"${name}" is pre-ticked`);
    }
    assert.equal(await necessary.count(), 1, 'no switch for Necessary');
    assert.ok(await necessary.isChecked(), 'Necessary is not on');
    assert.ok(await necessary.isDisabled(), 'Necessary can be switched off');
    assertNoThirdParty(s, 'after opening Settings');
  } finally {
    await s.close();
  }
});

test('Reject all: nothing leaves, the consent cookie is set, one reject_all record is written', async () => {
  const s = await visit('/');
  try {
    await expectBanner(s.page);
    const res = await choose(s, 'reject');
    assert.ok(res.status() < 400, `the decision was refused: ${res.status()}`);
    await settle(s.page);
    assertNoThirdParty(s, 'after Reject all');
    const jar = await cookies(s);
    assert.ok(jar.consent, 'no consent cookie after Reject all');
    await assertOnlyEssentialCookies(s, 'after Reject all');
    assert.equal(await bannerControls(s.page).form.isVisible(), false, 'the banner is still shown');

    const records = await recordsOf(s);
    assert.equal(records.length, 1, `expected one record, got ${JSON.stringify(records)}`);
    assert.equal(records[0].method, 'reject_all');
    assert.deepEqual(records[0].granted, ['necessary']);
    assert.equal(records[0].lang, 'nb');

    // the next page: still nothing, and no banner
    await s.page.goto(site.server.url('/kontakt.html'));
    await settle(s.page);
    assertNoThirdParty(s, 'on the next page after Reject all');
    assert.equal(await bannerControls(s.page).form.isVisible().catch(() => false), false, 'the banner is back');
    await assertOnlyEssentialCookies(s, 'on the next page after Reject all');
  } finally {
    await s.close();
  }
});

test('Accept all: the trackers are attempted in document order, without a reload', async () => {
  const s = await visit('/');
  try {
    await expectBanner(s.page);
    assertNoThirdParty(s, 'before Accept all');
    await markDocument(s.page);
    const res = await choose(s, 'accept');
    assert.ok(res.status() < 400, `the decision was refused: ${res.status()}`);
    await settle(s.page, 800);
    assert.ok(
      await sameDocument(s.page),
      'the page was replaced (a form post or a reload): consent.js should apply Accept all in place',
    );
    assertAttempted(s, ['ga', 'meta', 'mailchimp', 'youtube', 'linkedin'], 'after Accept all');
    // scripts run one after another in the page's order: gtag.js, the Meta
    // snippet, Mailchimp's loader (in <head>), the LinkedIn tag (end of body)
    const order = ['ga', 'meta', 'mailchimp', 'linkedin'].map((k) => [k, firstRequest(s, k)]);
    const sorted = [...order].sort((a, b) => a[1] - b[1]);
    assert.deepEqual(
      sorted.map(([k]) => k),
      order.map(([k]) => k),
      `trackers were attempted out of document order:\n${describeRequests(s.thirdParty())}`,
    );
    const iframe = s.page.locator('iframe[src^="https://www.youtube.com/embed/"]');
    assert.equal(await iframe.count(), 1, 'the YouTube iframe did not get its src back');
    assert.equal(await bannerControls(s.page).form.isVisible(), false, 'the banner is still shown');
    const records = await recordsOf(s);
    assert.equal(records.length, 1);
    assert.equal(records[0].method, 'accept_all');
    assert.deepEqual([...records[0].granted].sort(), ['marketing', 'necessary', 'preferences', 'statistics']);
  } finally {
    await s.close();
  }
});

// The tracker elements exactly as the page's author wrote them.
function trackerTags(file) {
  const html = fs.readFileSync(path.join(DEMO, file), 'utf8');
  return [
    ...html.matchAll(/<script\b[^>]*>[\s\S]*?<\/script>|<iframe\b[^>]*>|<img\b[^>]*\bsrc="https:[^>]*>/g),
  ]
    .map((m) => m[0])
    .filter((tag) => /googletagmanager|fbq\(|facebook|chimpstatic|youtube|linkedin|licdn/.test(tag));
}

test('after Accept all a reload gets the unmodified page, and the tracking cookies arrive', async () => {
  const s = await visit('/');
  try {
    await expectBanner(s.page);
    await choose(s, 'accept');
    await settle(s.page);
    const res = await s.page.reload();
    await settle(s.page);
    const body = await res.text();
    const tags = trackerTags('index.html');
    assert.ok(tags.length >= 6, `found only ${tags.length} tracker tags in index.html`);
    for (const tag of tags) {
      assert.ok(body.includes(tag), `the server changed this tracker element after Accept all:\n${tag}`);
    }
    assert.ok(!/\bdata-consent=/.test(body), 'the page still has neutralised (data-consent) elements');
    const gtag = s.page.locator('script[src^="https://www.googletagmanager.com/gtag/js?id=G-"]');
    assert.equal(await gtag.count(), 1, 'the gtag.js <script> has no src');
    assert.equal(await bannerControls(s.page).form.isVisible(), false, 'the banner is shown after a decision');
    const reopen = s.page.getByRole('link', { name: 'Innstillinger for informasjonskapsler' });
    assert.ok(await reopen.isVisible(), 'no visible "Innstillinger for informasjonskapsler" control');
    const jar = await cookies(s);
    assert.ok(jar._ga && jar._fbp, `the server's _ga/_fbp cookies did not arrive: ${Object.keys(jar)}`);
  } finally {
    await s.close();
  }
});

test('Settings with only Statistics: Google Analytics is attempted, the marketing trackers are not', async () => {
  const s = await visit('/');
  try {
    const b = await expectBanner(s.page);
    await b.settings.click();
    await b.category('statistics').check();
    await markDocument(s.page);
    const res = await choose(s, 'save');
    assert.ok(res.status() < 400, `the decision was refused: ${res.status()}`);
    await settle(s.page, 800);
    assert.ok(await sameDocument(s.page), 'the page was replaced: consent.js should apply the choice in place');
    assertAttempted(s, ['ga'], 'with Statistics granted');
    assertNotAttempted(s, MARKETING, 'with only Statistics granted');
    const records = await recordsOf(s);
    assert.equal(records.length, 1);
    assert.equal(records[0].method, 'custom');
    assert.deepEqual([...records[0].granted].sort(), ['necessary', 'statistics']);

    await s.page.reload();
    await settle(s.page);
    const jar = await cookies(s);
    assert.ok(jar._ga, 'the statistics cookie _ga did not arrive');
    assert.ok(!jar._fbp, 'the marketing cookie _fbp arrived');
    assertNotAttempted(s, MARKETING, 'after a reload with only Statistics granted');
  } finally {
    await s.close();
  }
});

test('withdrawal: Reject all from "Cookie settings" reloads without trackers and expires their cookies', async () => {
  const s = await visit('/');
  try {
    await expectBanner(s.page);
    await choose(s, 'accept');
    await s.page.reload();
    await settle(s.page);
    assert.ok((await cookies(s))._ga, 'no _ga cookie after Accept all');

    await s.page.getByRole('link', { name: 'Innstillinger for informasjonskapsler' }).click();
    assert.ok(await bannerControls(s.page).form.isVisible(), '"Cookie settings" did not reopen the banner');
    const from = s.requests.length;
    await Promise.all([
      s.page.waitForEvent('load', { timeout: 10000 }),
      choose(s, 'reject'),
    ]);
    await settle(s.page);
    const later = s.requests.slice(from);
    const reloaded = later.findIndex((r) => r.navigation && r.method === 'GET' && !isThirdParty(r.url));
    assert.ok(reloaded >= 0, 'the page was not reloaded after the withdrawal');
    const leaked = later.slice(reloaded).filter((r) => isThirdParty(r.url));
    assert.equal(leaked.length, 0, `after the withdrawal the page still sent:\n${describeRequests(leaked)}`);
    await assertOnlyEssentialCookies(s, 'after the withdrawal');
    const records = await recordsOf(s);
    assert.deepEqual(
      records.map((r) => r.method),
      ['accept_all', 'withdraw'],
      'the log does not show the acceptance and then the withdrawal',
    );
  } finally {
    await s.close();
  }
});
