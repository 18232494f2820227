// A cookie no rule classifies (issue 14, item 1): under the default
// ConsentUnclassified hold, a persistent one never reaches the browser until
// the visitor accepts all; a session one (a login) does; the second layer
// shows them apart, not as necessary.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { choose, cookies, documentCookies, expectBanner, openSession, settle } from './lib/browser.mjs';
import { useSite } from './lib/site.mjs';

const UNKNOWN = 'vendor_uid';
const LOGIN = 'app_login';
const EXTRA = `
Header always add Set-Cookie "${UNKNOWN}=v-365; Path=/; Max-Age=31536000"
Header always add Set-Cookie "${LOGIN}=s-1; Path=/"
`;

const site = useSite({ servers: { server: { extraConf: EXTRA } } });

test('a persistent unknown cookie is held until "Accept all", a session one passes', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/'));
    await settle(s.page);
    let jar = await cookies(s);
    assert.ok(!(UNKNOWN in jar), `${UNKNOWN} reached the browser before any choice`);
    assert.ok(LOGIN in jar, `the session cookie ${LOGIN} did not pass: ${Object.keys(jar)}`);
    assert.ok(!(await documentCookies(s.page)).includes(UNKNOWN), `${UNKNOWN} is in document.cookie`);

    // the second layer names it apart, not under necessary
    const b = await expectBanner(s.page);
    await b.settings.click();
    const necessary = s.page.locator('.mc-cat', { has: s.page.locator('input[value="necessary"]') });
    assert.ok(!(await necessary.innerText()).includes(UNKNOWN), 'listed under necessary');
    const box = s.page.locator('details.mc-unclassified-box');
    await box.locator('summary').click();
    const held = box.locator('ul.mc-held li', { hasText: UNKNOWN });
    assert.equal(await held.count(), 1, `the box does not list ${UNKNOWN} as held:\n${await box.innerText()}`);
    assert.ok(await held.isVisible());

    await choose(s, 'accept');
    await s.page.reload();
    await settle(s.page);
    jar = await cookies(s);
    assert.ok(UNKNOWN in jar, `after "Accept all" a reload did not get ${UNKNOWN}: ${Object.keys(jar)}`);
    assert.ok(jar[UNKNOWN].expires > Date.now() / 1000 + 300 * 86400, 'it lost its lifetime');
    assert.ok((await documentCookies(s.page)).includes(UNKNOWN), `${UNKNOWN} is not in document.cookie`);
  } finally {
    await s.close();
  }
});

test('statistics alone does not release it', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/'));
    await settle(s.page);
    const b = await expectBanner(s.page);
    await b.settings.click();
    await b.category('statistics').check();
    await choose(s, 'save');
    await s.page.reload();
    await settle(s.page);
    const jar = await cookies(s);
    assert.ok(!(UNKNOWN in jar), `${UNKNOWN} was set with statistics only`);
    assert.ok(LOGIN in jar);
  } finally {
    await s.close();
  }
});
