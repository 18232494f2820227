// The cookies the site is seen to set: the demo privacy page's table shows
// them (name, purpose, provider, domain, lifetime in words, first or third
// party), and the banner's second layer names them under their category.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertNoThirdParty, expectBanner, openSession, settle } from './lib/browser.mjs';
import { useSite } from './lib/site.mjs';

// A cookie of the clinic's own, not in the catalogue: only the server's
// record of what the site sets can put it in the table and the banner.
const OWN = 'klinikk_sprak';
const EXTRA = `
Header always add Set-Cookie "${OWN}=nb; Path=/; Max-Age=31536000"
ConsentCookieRule preferences ${OWN}
`;

const site = useSite({ servers: { server: { extraConf: EXTRA } } });

test('the privacy page lists a cookie the site was seen to set, with its lifetime in words', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    // the first visit's responses set the cookies (held back: no consent yet)
    await s.page.goto(site.server.url('/personvern.html'));
    await settle(s.page);
    const held = (await s.context.cookies()).map((c) => c.name);
    assert.ok(!held.includes(OWN), `${OWN} reached the browser before consent`);
    await s.page.reload();
    await settle(s.page);
    const box = s.page.locator('#informasjonskapsler');
    assert.equal(await box.getAttribute('data-filled'), 'true', `the table was not filled: ${await box.innerText()}`);
    const own = s.page.locator('#sett-informasjonskapsler tr', { hasText: OWN });
    assert.equal(await own.count(), 1, `the seen-cookies table does not list ${OWN} once:\n${await box.innerText()}`);
    const cells = (await own.locator('td').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(cells, [OWN, 'Preferanser', 'Fjordklinikken legevakt', '127.0.0.1', '1 år', 'Førstepart']);
    // the demo's server-side tracker cookie, removed without consent, is still declared
    const ga = s.page.locator('#sett-informasjonskapsler tr', { hasText: '_ga' }).first();
    assert.match(await ga.innerText(), /Statistikk/);
    assert.match(await ga.innerText(), /2 år/);
    const session = s.page.locator('#sett-informasjonskapsler tr', { hasText: 'PHPSESSID' }).first();
    assert.match(await session.innerText(), /Økt/);
    assertNoThirdParty(s, 'on the privacy page');
  } finally {
    await s.close();
  }
});

test("the banner's second layer names the seen cookie under its category", async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/'));
    await settle(s.page);
    const b = await expectBanner(s.page);
    await b.settings.click();
    const prefs = s.page.locator('.mc-cat', { has: s.page.locator('input[value="preferences"]') });
    await prefs.locator('details.mc-cookies summary').click();
    const item = prefs.locator('details.mc-cookies li', { hasText: OWN });
    assert.equal(await item.count(), 1, `preferences does not list ${OWN}:\n${await prefs.innerText()}`);
    assert.ok(await item.isVisible(), `${OWN} is listed but not shown`);
  } finally {
    await s.close();
  }
});

test('without JavaScript the privacy page links the declaration and the settings page', async () => {
  const s = await openSession(site.browser, site.server, { javaScriptEnabled: false });
  try {
    await s.page.goto(site.server.url('/personvern.html'));
    await settle(s.page);
    const box = s.page.locator('#informasjonskapsler');
    // the readable page, and the JSON beside it
    assert.equal(await box.locator('a[href="/_consent/declaration?format=html"]').count(), 1);
    assert.equal(await box.locator('a[href="/_consent/declaration?format=json"]').count(), 1);
    assert.equal(await box.locator('a[href^="/_consent/settings"]').count(), 1);
    const res = await s.page.goto(site.server.url('/_consent/declaration?format=json'));
    const decl = await res.json();
    assert.ok(decl.seen.some((c) => c.name === OWN && c.category === 'preferences'), JSON.stringify(decl.seen));
  } finally {
    await s.close();
  }
});
