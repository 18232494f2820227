// Clickjacking: a page of another site that frames one of ours (nearly
// transparent, over a decoy) must not get a visitor to click the banner's
// Accept. Pages with the banner may be framed by the site itself only.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openSession, settle } from './lib/browser.mjs';
import { useSite } from './lib/site.mjs';

// the demo site has a frame-ancestors policy of its own; this one has none,
// so what protects it is the module
const site = useSite({ servers: { server: { extraConf: 'Header always unset Content-Security-Policy' } } });

const DECISION = /\/_consent\/decision/;

function decisionsIn(s) {
  return s.requests.filter((r) => DECISION.test(r.url));
}

test("another site's transparent frame shows no banner and a click there records nothing", async () => {
  const s = await openSession(site.browser, site.server);
  try {
    const before = site.server.records().length;
    // the attacker's page: an opaque origin, not the site's
    await s.page.setContent(
      `<p style="position:absolute;top:40px;left:40px">Klikk her for å vinne!</p>` +
        `<iframe src="${site.server.url('/')}" width="1200" height="760" ` +
        `style="position:absolute;top:0;left:0;opacity:0.01;border:0"></iframe>`,
    );
    await settle(s.page, 800);
    const framed = s.page.frames().filter((f) => f !== s.page.mainFrame());
    assert.equal(framed.length, 1, 'the attacker page has its frame');
    // the browser refused to show the site inside it
    assert.equal(await framed[0].locator('form[action$="/decision"]').count(), 0,
      `the banner is usable inside another site's frame (${framed[0].url()})`);
    // clicks all over the frame, where Accept would be, decide nothing
    for (const [x, y] of [[200, 600], [600, 650], [1000, 700], [640, 400]]) {
      await s.page.mouse.click(x, y);
    }
    await settle(s.page, 600);
    assert.deepEqual(decisionsIn(s).map((r) => r.url), [], 'a decision was posted from the frame');
    assert.equal(site.server.records().length, before, 'a decision was recorded');
  } finally {
    await s.close();
  }
});

test('the site may frame its own pages; the banner is the page around them', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/'));
    await settle(s.page);
    await s.page.evaluate((url) => {
      const f = document.createElement('iframe');
      f.src = url;
      f.width = '900';
      f.height = '700';
      document.body.append(f);
    }, site.server.url('/'));
    await settle(s.page, 800);
    // the page's own frame (the demo page has embeds of its own)
    const framed = s.page.frames().filter((f) => f.parentFrame() === s.page.mainFrame() && f.url() === site.server.url('/'));
    assert.equal(framed.length, 1);
    // X-Frame-Options: SAMEORIGIN lets the site frame itself: the page is there
    assert.ok((await framed[0].locator('body').innerText()).trim().length > 0, 'the framed page did not load');
    // with one banner, the page's (a framed page gets none: Sec-Fetch-Dest)
    assert.equal(await framed[0].locator('form[action$="/decision"]').count(), 0, 'a second banner in the frame');
    assert.equal(await s.page.locator('form[action$="/decision"]').count(), 1, 'the page lost its banner');
  } finally {
    await s.close();
  }
});
