// With JavaScript off the banner is a plain HTML form: every choice is a
// post answered with 303 back to the page, and the server alone decides
// what the page carries (including the <noscript> tracking pixels).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  TRACKERS,
  assertNoThirdParty,
  assertOnlyEssentialCookies,
  bannerControls,
  cookies,
  describeRequests,
  expectBanner,
  openSession,
  recordsOf,
  settle,
} from './lib/browser.mjs';
import { useSite } from './lib/site.mjs';

const site = useSite();

async function visitWithoutJs(p) {
  const session = await openSession(site.browser, site.server, { javaScriptEnabled: false });
  const res = await session.page.goto(site.server.url(p));
  assert.equal(res.status(), 200);
  await settle(session.page);
  return session;
}

/** Submits a choice as a plain form: the post, its 303 and the page it leads to. */
async function submit(session, which) {
  const { page } = session;
  const b = bannerControls(page);
  const [post] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/_consent/decision', { timeout: 10000 }),
    page.waitForNavigation({ timeout: 10000 }),
    b[which].click(),
  ]);
  await settle(page);
  return post;
}

test('JavaScript off: the banner is shown and nothing leaves before a choice', async () => {
  const s = await visitWithoutJs('/');
  try {
    const b = await expectBanner(s.page);
    assert.ok(await b.form.isVisible());
    // with scripting off the <noscript> pixels are live markup: the server must have held them back
    assertNoThirdParty(s, 'with JavaScript off, before a choice');
    await assertOnlyEssentialCookies(s, 'with JavaScript off, before a choice');
  } finally {
    await s.close();
  }
});

test('JavaScript off: Reject all posts the form, comes back to the page with 303, and records it', async () => {
  const s = await visitWithoutJs('/kontakt.html');
  try {
    await expectBanner(s.page);
    const post = await submit(s, 'reject');
    assert.equal(post.request().method(), 'POST');
    assert.equal(post.status(), 303, `the form post answered ${post.status()}, not 303`);
    const location = new URL(post.headers().location, site.server.origin);
    assert.equal(location.pathname, '/kontakt.html', `303 to ${post.headers().location}, not back to the page`);
    assert.equal(new URL(s.page.url()).pathname, '/kontakt.html');
    assert.equal(await bannerControls(s.page).form.isVisible().catch(() => false), false, 'the banner is still shown');
    assertNoThirdParty(s, 'with JavaScript off, after Reject all');
    assert.ok((await cookies(s)).consent, 'no consent cookie after Reject all');
    await assertOnlyEssentialCookies(s, 'with JavaScript off, after Reject all');
    const records = await recordsOf(s);
    assert.equal(records.length, 1, `expected one record: ${JSON.stringify(records)}`);
    assert.equal(records[0].method, 'reject_all');
  } finally {
    await s.close();
  }
});

test('JavaScript off: Settings with only Statistics keeps the marketing pixels and embeds out', async () => {
  const s = await visitWithoutJs('/kontakt.html');
  try {
    const b = await expectBanner(s.page);
    await b.settings.click(); // <details> opens without JavaScript
    await b.category('statistics').check();
    const post = await submit(s, 'save');
    assert.equal(post.status(), 303);
    for (const key of ['metaPixel', 'linkedinPixel', 'maps', 'youtube']) {
      const got = s.attempted(key);
      assert.equal(got.length, 0, `${TRACKERS[key].name} was attempted:\n${describeRequests(got)}`);
    }
    const records = await recordsOf(s);
    assert.equal(records.length, 1);
    assert.equal(records[0].method, 'custom');
    assert.deepEqual([...records[0].granted].sort(), ['necessary', 'statistics']);
  } finally {
    await s.close();
  }
});

test('JavaScript off: Accept all lets the server send the pixels and the map again', async () => {
  // the counterpart of the tests above: it shows that the browser does
  // attempt these requests when the server lets them through
  const s = await visitWithoutJs('/kontakt.html');
  try {
    await expectBanner(s.page);
    const post = await submit(s, 'accept');
    assert.equal(post.status(), 303);
    for (const key of ['metaPixel', 'linkedinPixel', 'maps']) {
      assert.ok(
        s.attempted(key).length > 0,
        `after Accept all ${TRACKERS[key].name} was not attempted:\n${describeRequests(s.requests)}`,
      );
    }
    assert.equal((await recordsOf(s))[0].method, 'accept_all');
  } finally {
    await s.close();
  }
});
