// What the site really uses (issue 14, items 4 and 5): once the demo's
// pages are served, the banner's first layer names the recipients, says
// that data leaves the EEA and how long a choice is kept; the second layer
// offers a switch per service in use (YouTube, not TikTok); the
// declaration reads as a page that fits a phone and passes axe; the
// privacy page shows it as tables that do not scroll sideways.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { before, test } from 'node:test';

import { expectBanner, openSession, screenshotPath, settle } from './lib/browser.mjs';
import { useSite } from './lib/site.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

const site = useSite();

// a fresh site learns what it uses as its pages are served
before(async () => {
  await site.ready;
  const s = await openSession(site.browser, site.server);
  try {
    for (const p of ['/', '/kontakt.html', '/om-oss.html']) {
      await s.page.goto(site.server.url(p));
      await settle(s.page, 100);
    }
  } finally {
    await s.close();
  }
});

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, TAGS);
}

async function overflow(page) {
  return page.evaluate(() => ({
    scroll: document.scrollingElement.scrollWidth,
    inner: window.innerWidth,
  }));
}

// the demo's pages are nb (index) and en; nn is offered too (ConsentLanguages
// nb nn en by default), here on the settings page
for (const [lang, locale, path, words] of [
  ['nb', 'nb-NO', '/', { outside: /utenfor EØS/, kept: /i 6 måneder/, who: /Mottakere/ }],
  ['nn', 'nn-NO', '/_consent/settings?lang=nn', { outside: /utanfor EØS/, kept: /i 6 månader/, who: /Mottakarar/ }],
  ['en', 'en-GB', '/en.html', { outside: /outside the EEA/, kept: /for 6 months/, who: /Recipients/ }],
]) {
  test(`the first layer names the recipients, the EEA and the retention (${lang})`, async () => {
    const s = await openSession(site.browser, site.server, { locale, viewport: PHONE });
    try {
      await s.page.goto(site.server.url(path));
      await settle(s.page, 100);
      const recipients = s.page.locator('#mc-banner #mc-recipients');
      assert.ok(await recipients.isVisible(), 'no recipients sentence in the first layer');
      const text = await recipients.innerText();
      for (const vendor of ['Google', 'Meta', 'LinkedIn', 'Mailchimp']) {
        assert.ok(text.includes(vendor), `"${vendor}" is not named: ${text}`);
      }
      assert.match(text, words.who);
      assert.match(text, words.outside);
      assert.match(text, words.kept);
      assert.ok(!/TikTok|Pinterest/.test(text), text);
      if (lang !== 'en') {
        await s.page.screenshot({ path: screenshotPath(`issue14-first-layer-phone-${lang}.png`) });
      }
    } finally {
      await s.close();
    }
  });
}

test('the second layer offers YouTube on its own, nothing pre-ticked, and no TikTok', async () => {
  // bypassCSP only so that axe can be injected
  const s = await openSession(site.browser, site.server, { viewport: DESKTOP, bypassCSP: true });
  try {
    await s.page.goto(site.server.url('/'));
    await settle(s.page, 100);
    const b = await expectBanner(s.page, 'nb');
    await s.page.screenshot({ path: screenshotPath('issue14-first-layer-desktop-nb.png') });
    await b.settings.click();
    const yt = s.page.locator('#mc-banner input.mc-service[value="youtube"]');
    assert.equal(await yt.count(), 1, 'no YouTube switch');
    assert.ok(await yt.isVisible(), 'the YouTube switch is hidden');
    assert.equal(await yt.getAttribute('data-category'), 'marketing');
    assert.equal(await yt.isChecked(), false, 'YouTube is pre-ticked');
    assert.match(await s.page.locator('label[for="mc-svc-youtube"]').innerText(), /YouTube \(Google\)/);
    assert.equal(await s.page.locator('#mc-banner input.mc-service[value="tiktok-pixel"]').count(), 0);
    assert.equal(await s.page.locator('#mc-banner input.mc-service:checked').count(), 0);
    const markup = await s.page.locator('#mc-banner').innerHTML();
    assert.ok(!/_ttp|_pin_unauth|ASP\.NET|S\?SESS/.test(markup), 'the banner lists cookies of unused services');
    await s.page.screenshot({ path: screenshotPath('issue14-second-layer-desktop-nb.png') });
    await s.page.locator('#mc-svc-youtube ~ details.mc-service-cookies > summary').click();
    assert.deepEqual(await axe(s.page), []);
  } finally {
    await s.close();
  }
});

for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
  test(`the declaration page reads on a ${name}: no sideways scroll, no axe violation`, async () => {
    // bypassCSP only so that axe can be injected; the page itself has no inline code
    const s = await openSession(site.browser, site.server, { viewport, bypassCSP: true });
    try {
      const resp = await s.page.goto(site.server.url('/_consent/declaration'));
      assert.match(resp.headers()['content-type'], /^text\/html/);
      await settle(s.page, 100);
      assert.match(await s.page.locator('h1').innerText(), /Informasjonskapsler og tjenester/);
      const rows = s.page.locator('table.mc-decl-table tbody tr');
      assert.ok((await rows.count()) >= 5, `only ${await rows.count()} services listed`);
      const text = await s.page.locator('main').innerText();
      for (const expected of ['YouTube', 'Meta Pixel', 'Google Ireland Limited', 'EU-US Data Privacy Framework', '2 år']) {
        assert.ok(text.includes(expected), `the declaration lacks "${expected}"`);
      }
      assert.ok(!/TikTok|Pinterest|ASP\.NET/.test(text), 'the declaration lists services not in use');
      const o = await overflow(s.page);
      assert.ok(o.scroll <= o.inner, `the page scrolls sideways: ${o.scroll} > ${o.inner}`);
      assert.deepEqual(await axe(s.page), []);
      await s.page.screenshot({ path: screenshotPath(`issue14-declaration-${name}.png`), fullPage: true });
      // one screenful, at the marketing services, for people to look at
      await s.page.locator('section.mc-decl-cat', { hasText: 'Meta Pixel' }).last().scrollIntoViewIfNeeded();
      await s.page.locator('section.mc-decl-cat h2', { hasText: 'Markedsføring' }).evaluate((h) => h.scrollIntoView());
      await s.page.screenshot({ path: screenshotPath(`issue14-declaration-${name}-marketing.png`) });
    } finally {
      await s.close();
    }
  });
}

test('the privacy page shows the services as tables that fit a phone', async () => {
  const s = await openSession(site.browser, site.server, { viewport: PHONE });
  try {
    await s.page.goto(site.server.url('/personvern.html'));
    await settle(s.page);
    const box = s.page.locator('#informasjonskapsler');
    assert.equal(await box.getAttribute('data-filled'), 'true');
    const text = await box.innerText();
    for (const expected of ['YouTube', 'Meta Platforms Ireland Limited', 'Utenfor EØS']) {
      assert.ok(text.includes(expected), `the privacy page lacks "${expected}"`);
    }
    assert.ok(!text.includes('TikTok'), 'the privacy page lists TikTok');
    const o = await overflow(s.page);
    assert.ok(o.scroll <= o.inner, `the privacy page scrolls sideways: ${o.scroll} > ${o.inner}`);
    // the rights section leads to a page a person reads, not JSON
    const rights = s.page.locator('a', { hasText: 'siden for valg av informasjonskapsler' }).last();
    await rights.click();
    await s.page.waitForLoadState();
    assert.match(await s.page.locator('h1').innerText(), /Innstillinger/);
  } finally {
    await s.close();
  }
});

test("the declaration page keeps to the demo's Content-Security-Policy and stacks its rows on a phone", async () => {
  const s = await openSession(site.browser, site.server, { viewport: PHONE, watchCsp: true, javaScriptEnabled: false });
  try {
    const resp = await s.page.goto(site.server.url('/_consent/declaration?format=html&lang=nn'));
    assert.match(resp.headers()['content-security-policy'] || '', /default-src 'self'/);
    await settle(s.page, 100);
    assert.deepEqual(s.csp, [], `CSP violations: ${JSON.stringify(s.csp)}`);
    assert.match(await s.page.locator('h1').innerText(), /Informasjonskapslar og tenester/);
    // consent.css applied: each row is a card, its cells headed by their column's name
    const row = s.page.locator('table.mc-decl-table tbody tr').first();
    assert.equal(await row.evaluate((tr) => getComputedStyle(tr).display), 'block');
    const label = await row.locator('td').first().evaluate((td) => getComputedStyle(td, '::before').content);
    assert.match(label, /Føremål/);
    const o = await overflow(s.page);
    assert.ok(o.scroll <= o.inner, `the page scrolls sideways: ${o.scroll} > ${o.inner}`);
  } finally {
    await s.close();
  }
});
