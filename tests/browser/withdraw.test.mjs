// Taking consent back is as easy as giving it (GDPR art. 7(3)): the small
// "Cookie settings" control stays out of the page's way on a phone, sits
// where the admin puts it, and from it one click withdraws; the settings
// page tells the visitor when they chose in their own time.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  MOBILE,
  bannerControls,
  choose,
  consentState,
  openSession,
  recordsOf,
  settle,
} from './lib/browser.mjs';
import { useSite } from './lib/site.mjs';

const PHONE = { width: 390, height: 844 };

const site = useSite({
  servers: {
    server: {},
    cornered: { extraConf: 'ConsentReopenPosition top-right' },
  },
});

async function controlBox(page) {
  const reopen = page.locator('#mc-reopen');
  // consent.js shows it once the decision's answer is in: after choose()'s
  // wait for that answer, on a busy machine a moment later
  await reopen.waitFor({ state: 'visible', timeout: 5000 }).catch(() => {});
  assert.ok(await reopen.isVisible(), 'no visible "Cookie settings" control after a choice');
  return reopen.boundingBox();
}

test('on a phone the "Cookie settings" control is a small mark that keeps its name', async () => {
  for (const viewport of [MOBILE, PHONE]) {
    const s = await openSession(site.browser, site.server, { viewport });
    try {
      await s.page.goto(site.server.url('/'));
      await settle(s.page);
      await choose(s, 'reject');
      const box = await controlBox(s.page);
      // a 44 px target (WCAG 2.5.5), nothing like a bar across the footer
      assert.ok(box.width <= 48 && box.height <= 48, `the control is ${box.width}x${box.height} on ${viewport.width}px`);
      assert.ok(box.width >= 24 && box.height >= 24, `the control is too small to hit: ${box.width}x${box.height}`);
      assert.ok(box.x + box.width < viewport.width * 0.2, `the control is not in the bottom-left corner: ${JSON.stringify(box)}`);
      assert.ok(box.y > viewport.height * 0.8, `the control is not at the bottom: ${JSON.stringify(box)}`);
      // a screen reader and a test by role still find it by its name
      const named = s.page.getByRole('link', { name: 'Innstillinger for informasjonskapsler' });
      assert.equal(await named.count(), 1);
    } finally {
      await s.close();
    }
  }
});

test('on a desktop the control shows its name beside the mark', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/'));
    await settle(s.page);
    await choose(s, 'reject');
    const text = await s.page.locator('#mc-reopen').innerText();
    assert.equal(text.trim(), 'Innstillinger for informasjonskapsler');
  } finally {
    await s.close();
  }
});

test('ConsentReopenPosition top-right moves the control to that corner', async () => {
  const s = await openSession(site.browser, site.cornered, { viewport: PHONE });
  try {
    await s.page.goto(site.cornered.url('/'));
    await settle(s.page);
    await choose(s, 'reject');
    const box = await controlBox(s.page);
    assert.ok(box.x > PHONE.width * 0.8 && box.y < PHONE.height * 0.2, `not top-right: ${JSON.stringify(box)}`);
  } finally {
    await s.close();
  }
});

for (const js of [true, false]) {
  test(`one click on the control's "Withdraw consent" takes everything back (JavaScript ${js ? 'on' : 'off'})`, async () => {
    const s = await openSession(site.browser, site.server, { javaScriptEnabled: js });
    try {
      const { page } = s;
      await page.goto(site.server.url('/'));
      await settle(page);
      await choose(s, 'accept');
      if (!js) await page.waitForURL(site.server.url('/'));
      await page.goto(site.server.url('/om-oss.html'));
      await settle(page);
      assert.equal((await consentState(s)).granted.length, 4, 'accept all did not grant everything');

      await page.locator('#mc-reopen').click();
      if (!js) await page.waitForURL(/\/_consent\/settings/);
      const withdraw = page.getByRole('button', { name: 'Trekk tilbake samtykket' });
      assert.equal(await withdraw.count(), 1, 'no "Trekk tilbake samtykket" button once the control is used');
      assert.ok(await withdraw.isVisible(), '"Trekk tilbake samtykket" is not visible without another click');
      assert.ok(await withdraw.evaluate((el) => el.getBoundingClientRect().bottom <= innerHeight), 'it is below the fold');

      await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/_consent/decision', { timeout: 10000 }),
        withdraw.click(),
      ]);
      await settle(page);
      const state = await consentState(s);
      assert.deepEqual(state.granted, ['necessary']);
      const methods = (await recordsOf(s)).map((r) => r.method);
      assert.deepEqual(methods, ['accept_all', 'withdraw']);
      // refusing again is called what it is
      if (js) {
        await page.locator('#mc-reopen').click();
        assert.equal((await bannerControls(page).reject.innerText()).trim(), 'Avvis alle');
      }
    } finally {
      await s.close();
    }
  });
}

test("the settings page shows the time of the choice in the visitor's zone, named", async () => {
  const s = await openSession(site.browser, site.server, { timezoneId: 'America/New_York', locale: 'en-US' });
  try {
    const { page } = s;
    await page.goto(site.server.url('/en.html'));
    await settle(page);
    await choose(s, 'reject', 'en');
    await page.goto(site.server.url('/_consent/settings'));
    await settle(page);
    const time = page.locator('#mc-state time');
    const iso = await time.getAttribute('datetime');
    const shown = (await time.innerText()).trim();
    const expected = new Intl.DateTimeFormat('en', {
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
      timeZone: 'America/New_York',
    }).format(new Date(iso));
    assert.equal(shown, expected);
    assert.match(shown, /E[SD]T/, `no zone in "${shown}"`);
  } finally {
    await s.close();
  }
});
