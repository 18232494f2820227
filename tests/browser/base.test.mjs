// A page whose <base href> names another host: relative URLs of the page
// go there, but the banner's must not — a decision posted to the other host
// would never be recorded (and would tell that host the visitor's choice).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { bannerControls, choose, consentState, expectBanner, openSession, settle } from './lib/browser.mjs';
import { pagesConf, startServer } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const OTHER = 'https://cdn.other-host.example/';
const PAGE = `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Base</title>
<base href="${OTHER}">
<link rel="stylesheet" href="site.css">
</head><body><h1>Timebestilling</h1><p><a href="kontakt.html">Kontakt</a></p>
<img src="logo.png" alt="Logo"></body></html>
`;

function siteConf(dir) {
  return pagesConf('/based', dir, { 'index.html': PAGE }, ['Header always unset Content-Security-Policy']);
}

const site = useSite({
  servers: { server: (s) => startServer({ extraConf: siteConf(s.tempDir('mc-base-')) }) },
});

function toOtherHost(s) {
  return s.requests.filter((r) => r.url.startsWith(OTHER) && /_consent/.test(r.url));
}

for (const javaScriptEnabled of [true, false]) {
  test(`JavaScript ${javaScriptEnabled ? 'on' : 'off'}: a decision on a page with <base href> to another host is recorded here`, async () => {
    const s = await openSession(site.browser, site.server, { javaScriptEnabled });
    try {
      const before = site.server.records().length;
      await s.page.goto(site.server.url('/based/'));
      await settle(s.page);
      await expectBanner(s.page);
      if (javaScriptEnabled) {
        const res = await choose(s, 'accept');
        assert.equal(res.status(), 200);
      } else {
        await Promise.all([
          s.page.waitForResponse((r) => new URL(r.url()).pathname === '/_consent/decision', { timeout: 10000 }),
          s.page.waitForNavigation({ timeout: 10000 }),
          bannerControls(s.page).accept.click(),
        ]);
      }
      await settle(s.page);
      assert.deepEqual(toOtherHost(s).map((r) => r.url), [], "the banner's URLs followed the page's <base>");
      assert.equal(site.server.records().length, before + 1, 'the decision was not recorded');
      assert.ok((await consentState(s)).decided, 'no consent cookie after the decision');
    } finally {
      await s.close();
    }
  });
}
