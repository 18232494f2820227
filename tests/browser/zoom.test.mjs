// The banner at 200% zoom (WCAG 1.4.4, 1.4.10): a 1280x800 screen zoomed
// to 200% leaves a 640x400 CSS-pixel viewport drawn at two device pixels
// per CSS pixel. Every choice must still be seen and reached, the second
// layer opened and scrolled to its Save button, and the page must not
// scroll sideways.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LABELS, expectBanner, openSession, settle } from './lib/browser.mjs';
import { useSite } from './lib/site.mjs';

const ZOOMED = { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 };

const site = useSite();

/** Fails unless LOC lies wholly in the viewport and is what a click at its
 * centre would hit (nothing covers it). */
async function assertReachable(page, loc, what) {
  await loc.scrollIntoViewIfNeeded();
  const box = await loc.boundingBox();
  assert.ok(box, `${what} has no box`);
  const { width, height } = page.viewportSize();
  assert.ok(
    box.x >= 0 && box.y >= 0 && box.x + box.width <= width + 0.5 && box.y + box.height <= height + 0.5,
    `${what} is not wholly visible at 200%: ${JSON.stringify(box)} in ${width}x${height}`,
  );
  const hit = await loc.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return at === el || el.contains(at);
  });
  assert.ok(hit, `${what} is covered by something else at 200%`);
  await loc.click({ trial: true, timeout: 2000 });
}

async function assertNoSidewaysScroll(page, when) {
  const { scrollWidth, innerWidth, bannerOverflow } = await page.evaluate(() => {
    const banner = document.getElementById('mc-banner');
    return {
      scrollWidth: document.scrollingElement.scrollWidth,
      innerWidth: window.innerWidth,
      bannerOverflow: banner ? banner.scrollWidth - banner.clientWidth : 0,
    };
  });
  assert.ok(scrollWidth <= innerWidth, `${when}: the page scrolls sideways (${scrollWidth} > ${innerWidth})`);
  assert.ok(bannerOverflow <= 0, `${when}: the banner scrolls sideways by ${bannerOverflow}px`);
}

for (const [lang, path] of [
  ['nb', '/'],
  ['en', '/en.html'],
]) {
  test(`at 200% zoom (${lang}) every choice is visible and reachable`, async () => {
    const s = await openSession(site.browser, site.server, ZOOMED);
    try {
      const { page } = s;
      await page.goto(site.server.url(path));
      await settle(page);
      assert.equal(await page.evaluate(() => window.devicePixelRatio), 2);
      const b = await expectBanner(page, lang);
      await assertNoSidewaysScroll(page, 'the first layer');
      await assertReachable(page, b.accept, `"${LABELS[lang].accept}"`);
      await assertReachable(page, b.reject, `"${LABELS[lang].reject}"`);
      await assertReachable(page, b.settings, `"${LABELS[lang].settings}"`);

      // the second layer, scrolled to its end
      await b.settings.click();
      await assertReachable(page, b.save, `"${LABELS[lang].save}"`);
      await assertNoSidewaysScroll(page, 'the second layer');

      // every category's and service's cookie list opened: long names wrap
      // rather than widen it
      const lists = page.locator(
        '#mc-banner details.mc-cookies > summary, #mc-banner details.mc-service-cookies > summary',
      );
      assert.ok((await lists.count()) > 0, 'the second layer lists no cookies');
      for (let i = 0; i < (await lists.count()); i++) {
        await lists.nth(i).scrollIntoViewIfNeeded();
        await lists.nth(i).click();
      }
      await assertNoSidewaysScroll(page, 'the cookie lists open');
      await assertReachable(page, b.save, `"${LABELS[lang].save}" with the cookie lists open`);
    } finally {
      await s.close();
    }
  });
}

test('at 200% zoom a cookie list opens from the keyboard and Save still posts', async () => {
  const s = await openSession(site.browser, site.server, ZOOMED);
  try {
    const { page } = s;
    await page.goto(site.server.url('/'));
    await settle(page);
    const b = await expectBanner(page, 'nb');
    await b.settings.click();
    // _ga is listed under its service, Google Analytics, in use on the demo
    const stats = page.locator('#mc-banner .mc-service-item:has(#mc-svc-google-analytics) details.mc-service-cookies');
    await stats.locator('summary').focus();
    await page.keyboard.press('Enter');
    assert.equal(await stats.evaluate((d) => d.open), true, 'Enter does not open the list');
    await assertReachable(page, stats.locator('code', { hasText: /^_ga$/ }), 'the _ga entry');
    await assertReachable(page, b.save, `"${LABELS.nb.save}"`);
    const [res] = await Promise.all([
      page.waitForResponse(
        (r) => new URL(r.url()).pathname === '/_consent/decision' && r.request().method() === 'POST',
        { timeout: 10000 },
      ),
      b.save.click(),
    ]);
    assert.ok(res.status() < 400, `Save answered ${res.status()}`);
  } finally {
    await s.close();
  }
});
