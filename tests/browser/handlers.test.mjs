// Event-handler attributes are inline scripts: a site's own button whose
// onclick sends a tracker beacon, and a picture whose onload does, are held
// until the visitor allows the tracker's category. A handler the visitor
// fires (a click) comes back in place once allowed, without a reload; one
// that fires by itself (load) brings the page anew, where it fires. The
// browser is the judge: which requests it makes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { choose, describeRequests, expectBanner, markDocument, openSession, sameDocument, settle } from './lib/browser.mjs';
import { pagesConf, startServer } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const FB = /^https:\/\/www\.facebook\.com\/tr\b/;
const GA = /^https:\/\/www\.google-analytics\.com\/g\/collect/;
const CLICK_PAGE = `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Bestill time</title></head><body>
<h1>Bestill time</h1>
<button id="book" type="button" onclick="navigator.sendBeacon('https://www.facebook.com/tr?id=1234567890&amp;ev=Lead', 'x'); document.getElementById('done').textContent = 'sendt'">Bestill</button>
<button id="menu" type="button" onclick="document.getElementById('done').textContent = 'meny'">Meny</button>
<p id="done"></p>
</body></html>
`;
const LOAD_PAGE = `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Bilde</title></head><body>
<h1>Bilde</h1>
<img alt="" src="/handlers/none.png" onerror="navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2&amp;en=img', 'x')">
</body></html>
`;

const site = useSite({
  servers: {
    server: (s) =>
      startServer({
        // the demo's own Content-Security-Policy runs no inline handler at all
        extraConf: pagesConf('/handlers', s.tempDir('mc-handlers-'), { 'click.html': CLICK_PAGE, 'load.html': LOAD_PAGE }, [
          'Header always unset Content-Security-Policy',
        ]),
      }),
  },
});

const attempts = (s, pattern) => s.requests.filter((r) => pattern.test(r.url));

test('a click handler that names a tracker does nothing until allowed; others of the page work', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/handlers/click.html'));
    await settle(s.page);
    await expectBanner(s.page);
    await s.page.click('#menu');
    assert.equal(await s.page.textContent('#done'), 'meny', 'a handler that names no tracker stopped working');
    await s.page.click('#book');
    await settle(s.page);
    assert.deepEqual(attempts(s, FB), [], `the beacon was sent before consent:\n${describeRequests(s.thirdParty())}`);
    assert.deepEqual(s.thirdParty(), [], `third-party requests:\n${describeRequests(s.thirdParty())}`);
  } finally {
    await s.close();
  }
});

test('after "Accept all" the click handler is back in place, without a reload', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/handlers/click.html'));
    await settle(s.page);
    await markDocument(s.page);
    await choose(s, 'accept');
    await settle(s.page);
    assert.equal(await sameDocument(s.page), true, 'the page was reloaded');
    assert.deepEqual(attempts(s, FB), [], 'the beacon went before the click');
    await s.page.click('#book');
    await settle(s.page);
    assert.equal(await s.page.textContent('#done'), 'sendt');
    assert.ok(attempts(s, FB).length > 0, `no beacon after the click:\n${describeRequests(s.thirdParty())}`);
  } finally {
    await s.close();
  }
});

test('a load handler that names a tracker is held, and fires after "Accept all" on the page loaded anew', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/handlers/load.html'));
    await settle(s.page);
    await expectBanner(s.page);
    assert.deepEqual(attempts(s, GA), [], `the beacon was sent before consent:\n${describeRequests(s.thirdParty())}`);
    await choose(s, 'accept');
    await s.page.waitForLoadState('load');
    await settle(s.page);
    assert.ok(attempts(s, GA).length > 0, `no beacon after Accept all:\n${describeRequests(s.thirdParty())}`);
  } finally {
    await s.close();
  }
});

test('"Reject all" keeps both held, also on the next visit', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/handlers/click.html'));
    await settle(s.page);
    await choose(s, 'reject');
    await settle(s.page);
    await s.page.click('#book');
    await s.page.goto(site.server.url('/handlers/load.html'));
    await settle(s.page);
    assert.deepEqual(s.thirdParty(), [], `third-party requests:\n${describeRequests(s.thirdParty())}`);
  } finally {
    await s.close();
  }
});
