// Pages loaded into frames get no banner (issue 15, item 3): WordPress's
// post embeds load a page of the site into <iframe sandbox="allow-scripts">,
// where a banner would cover the card and its form could not submit.
// Chromium says Sec-Fetch-Dest: iframe for them; the page around them shows
// the banner, and what the framed page carries stays held back.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describeRequests, openSession, settle } from './lib/browser.mjs';
import { pagesConf, startServer } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const PIXEL = 'https://www.facebook.com/tr?id=1234567890&amp;ev=PageView';
const CARD = `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Innlegg</title></head>
<body><h1>Time hos fysioterapeut</h1><img alt="" src="${PIXEL}&amp;ev=Embed"></body></html>
`;
const POST = `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Blogg</title></head>
<body><h1>Blogg</h1>
<iframe id="plain" title="Innlegg" src="/frames/card.html?plain"></iframe>
<iframe id="sandboxed" title="Innlegg" sandbox="allow-scripts" src="/frames/card.html?embed"></iframe>
</body></html>
`;

function siteConf(dir) {
  return pagesConf('/frames', dir, { 'card.html': CARD, 'post.html': POST });
}

const site = useSite({
  servers: { server: (s) => startServer({ extraConf: siteConf(s.tempDir('mc-frames-')) }) },
});

test('the page shows the banner; the pages in its frames, sandboxed or not, show none and fetch no tracker', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/frames/post.html'));
    await settle(s.page);
    assert.ok(await s.page.locator('#mc-banner').isVisible(), 'the page itself has no visible banner');
    const framed = s.page.frames().filter((f) => f !== s.page.mainFrame());
    assert.equal(framed.length, 2, `frames: ${framed.map((f) => f.url()).join(', ')}`);
    for (const f of framed) {
      assert.equal(await f.locator('h1').textContent(), 'Time hos fysioterapeut', `${f.url()} did not load`);
      assert.equal(await f.locator('#mc-banner, #mc-reopen-box').count(), 0, `a banner in ${f.url()}`);
    }
    const trackers = s.requests.filter((r) => new URL(r.url).hostname === 'www.facebook.com');
    assert.deepEqual(trackers, [], `tracker requests:\n${describeRequests(trackers)}`);
    // the same page opened on its own is a page: it has the banner
    await s.page.goto(site.server.url('/frames/card.html?plain'));
    await settle(s.page);
    assert.ok(await s.page.locator('#mc-banner').isVisible(), 'the card opened on its own has no banner');
  } finally {
    await s.close();
  }
});
