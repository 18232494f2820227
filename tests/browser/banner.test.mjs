// How the banner looks and handles: screenshots for people to look at
// (tests/artifacts/), equal prominence of the choices, a phone-sized
// screen, and the keyboard alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DESKTOP,
  LABELS,
  MOBILE,
  bannerControls,
  expectBanner,
  openSession,
  recordsOf,
  screenshotPath,
  settle,
} from './lib/browser.mjs';
import { useSite } from './lib/site.mjs';

const site = useSite();

const PAGES = { nb: '/', en: '/en.html' };

for (const [device, viewport] of Object.entries({ desktop: DESKTOP, mobile: MOBILE })) {
  for (const lang of ['nb', 'en']) {
    test(`screenshots of the banner: ${device} ${viewport.width}x${viewport.height}, ${lang}`, async () => {
      const s = await openSession(site.browser, site.server, { viewport, isMobile: device === 'mobile' });
      try {
        await s.page.goto(site.server.url(PAGES[lang]));
        await settle(s.page);
        const b = await expectBanner(s.page, lang);
        await s.page.screenshot({ path: screenshotPath(`banner-${device}-${lang}.png`) });
        await b.settings.click();
        await b.category('statistics').scrollIntoViewIfNeeded();
        await s.page.screenshot({ path: screenshotPath(`banner-${device}-${lang}-settings.png`) });
      } finally {
        await s.close();
      }
    });
  }
}

const LOOK = ['fontSize', 'fontWeight', 'fontFamily', 'color', 'backgroundColor', 'borderTopWidth', 'borderTopColor', 'paddingTop', 'paddingBottom', 'textDecorationLine'];

test('Accept all, Reject all and Settings are equally prominent', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/'));
    await settle(s.page);
    const b = await expectBanner(s.page);
    const looks = {};
    for (const [name, loc] of Object.entries({ accept: b.accept, reject: b.reject, settings: b.settings })) {
      const style = await loc.evaluate((el, props) => {
        const cs = getComputedStyle(el);
        return Object.fromEntries(props.map((p) => [p, cs[p]]));
      }, LOOK);
      const box = await loc.boundingBox();
      looks[name] = { ...style, height: Math.round(box.height) };
    }
    assert.deepEqual(looks.reject, looks.accept, 'Reject all does not look like Accept all');
    assert.deepEqual(looks.settings, looks.accept, 'Settings does not look like Accept all');
  } finally {
    await s.close();
  }
});

test('on a 360px wide phone the banner fits and all three choices are on screen', async () => {
  const s = await openSession(site.browser, site.server, { viewport: MOBILE, isMobile: true });
  try {
    await s.page.goto(site.server.url('/'));
    await settle(s.page);
    const b = await expectBanner(s.page);
    const width = await s.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= MOBILE.width, `the page scrolls sideways: ${width}px wide`);
    for (const [name, loc] of Object.entries({ accept: b.accept, reject: b.reject, settings: b.settings })) {
      const box = await loc.boundingBox();
      assert.ok(box, `${name} has no box`);
      assert.ok(box.x >= 0 && box.x + box.width <= MOBILE.width, `${name} sticks out sideways: ${JSON.stringify(box)}`);
      assert.ok(box.y >= 0 && box.y + box.height <= MOBILE.height, `${name} is off screen: ${JSON.stringify(box)}`);
      assert.ok(box.height >= 24 && box.width >= 24, `${name} is smaller than 24x24 px (WCAG 2.5.8)`);
    }
  } finally {
    await s.close();
  }
});

test('keyboard only: Tab reaches all three choices, and Enter on Reject all records it', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/'));
    await settle(s.page);
    await expectBanner(s.page);
    const reached = new Set();
    for (let i = 0; i < 40 && reached.size < 3; i++) {
      await s.page.keyboard.press('Tab');
      const label = await s.page.evaluate(() => {
        const el = document.activeElement;
        return el && el.closest('form[action$="/decision"]') ? el.textContent.trim() : null;
      });
      if (label && Object.values(LABELS.nb).slice(0, 3).includes(label)) reached.add(label);
    }
    assert.deepEqual([...reached].sort(), [LABELS.nb.accept, LABELS.nb.reject, LABELS.nb.settings].sort());

    await bannerControls(s.page).reject.focus();
    await Promise.all([
      s.page.waitForResponse((r) => new URL(r.url()).pathname === '/_consent/decision', { timeout: 10000 }),
      s.page.keyboard.press('Enter'),
    ]);
    await settle(s.page);
    const records = await recordsOf(s);
    assert.equal(records.length, 1);
    assert.equal(records[0].method, 'reject_all');
  } finally {
    await s.close();
  }
});

// A visitor who clicks again while the choice is on its way (a double
// click, a second thought) sends one decision: the proof log holds one
// record. The banner answers the click at once: its buttons dim and the
// form is aria-busy until the choice is saved.
for (const [first, second] of [['accept', 'accept'], ['accept', 'reject'], ['reject', 'save']]) {
  test(`${first} then ${second} while the first is being saved: one decision sent and recorded, the form busy meanwhile`, async () => {
    const s = await openSession(site.browser, site.server);
    try {
      let release;
      const held = new Promise((resolve) => {
        release = resolve;
      });
      const posts = [];
      await s.context.route('**/_consent/decision', async (route) => {
        posts.push(route.request().postDataJSON()?.method);
        await held; // the answer waits until the second click is in
        await route.continue();
      });
      await s.page.goto(site.server.url('/'));
      await settle(s.page);
      const b = await expectBanner(s.page);
      if (second === 'save') await b.settings.click();
      await b[first].click();
      await s.page.waitForFunction(() => document.getElementById('mc-form').getAttribute('aria-busy') === 'true');
      const dimmed = await b.accept.evaluate((el) => Number(getComputedStyle(el).opacity));
      assert.ok(dimmed < 1, `the buttons do not show that the choice is being saved (opacity ${dimmed})`);
      await b[second].click({ force: true });
      await s.page.waitForTimeout(300);
      release();
      await s.page.waitForFunction(() => document.getElementById('mc-banner').hidden, null, { timeout: 10000 });
      await settle(s.page);
      assert.deepEqual(posts, [first === 'accept' ? 'accept_all' : 'reject_all'], 'decisions sent');
      const records = await recordsOf(s);
      assert.equal(records.length, 1, `records: ${JSON.stringify(records.map((r) => r.method))}`);
      assert.equal(await s.page.evaluate(() => document.getElementById('mc-form').hasAttribute('aria-busy')), false);
    } finally {
      await s.close();
    }
  });
}
