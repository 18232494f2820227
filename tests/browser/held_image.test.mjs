// A held picture is not a blank hole (issue 15, item 5): WordPress's comment
// avatars (Gravatar, "preferences") are held until the visitor allows that
// category, and meanwhile their box shows the module's neutral image,
// served by the site itself. A tracking pixel stays blank. The browser is
// the judge: what it draws in the box, and which requests it makes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { choose, describeRequests, expectBanner, markDocument, openSession, sameDocument, settle } from './lib/browser.mjs';
import { pagesConf, startServer } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const GRAVATAR = /^https:\/\/secure\.gravatar\.com\/avatar\//;
// WordPress 6's comment list, as its default comment walker writes it, and
// the Meta Pixel's <noscript> image outside a <noscript>
const PAGE = `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Kommentarer</title></head><body>
<ol class="comment-list"><li class="comment"><article class="comment-body"><footer class="comment-meta">
<div class="comment-author vcard"><img alt='' src='https://secure.gravatar.com/avatar/5d41402abc4b2a76b9719d911017c592?s=56&#038;d=mm&#038;r=g' srcset='https://secure.gravatar.com/avatar/5d41402abc4b2a76b9719d911017c592?s=112&#038;d=mm&#038;r=g 2x' class='avatar avatar-56 photo' height='56' width='56' loading='lazy' decoding='async'/>
<b class="fn">Kari</b></div></footer><div class="comment-content"><p>Takk for god behandling!</p></div></article></li></ol>
<img id="pixel" height="1" width="1" src="https://www.facebook.com/tr?id=1&amp;ev=PageView&amp;noscript=1">
</body></html>
`;

const site = useSite({
  servers: { server: (s) => startServer({ extraConf: pagesConf('/wp', s.tempDir('mc-held-'), { 'comments.html': PAGE }) }) },
});

/** What the visitor sees of an image: its box, and the colour drawn at its
 * centre and near a corner (the image is the site's own: the canvas can
 * read it). */
function look(page, selector) {
  return page.$eval(selector, async (img) => {
    if (!img.complete) await new Promise((done) => img.addEventListener('load', done, { once: true }));
    const r = img.getBoundingClientRect();
    const out = { width: r.width, height: r.height, src: img.currentSrc, loaded: img.complete };
    try {
      const c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(r.width));
      c.height = Math.max(1, Math.round(r.height));
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0, c.width, c.height);
      out.corner = [...ctx.getImageData(2, 2, 1, 1).data];
      out.drawn = [...ctx.getImageData(0, 0, c.width, c.height).data].filter((v, i) => i % 4 === 3 && v > 0).length;
    } catch (e) {
      out.error = String(e);
    }
    return out;
  });
}

test('before consent an avatar shows the neutral image in its own box, and no request leaves', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/wp/comments.html'));
    await settle(s.page);
    await expectBanner(s.page);
    const avatar = await look(s.page, 'img.avatar');
    assert.equal(new URL(avatar.src).pathname, '/_consent/held.svg', `the avatar shows ${avatar.src}`);
    assert.deepEqual([avatar.width, avatar.height], [56, 56]);
    // painted all over (opaque), not a transparent or broken-image box
    assert.equal(avatar.error, undefined, avatar.error);
    assert.equal(avatar.drawn, 56 * 56, `only ${avatar.drawn} of ${56 * 56} pixels drawn`);
    assert.equal(avatar.corner[3], 255);
    const held = s.requests.find((r) => r.url.includes('/_consent/held.svg'));
    assert.ok(held && held.done && !held.failure, `the neutral image did not load: ${JSON.stringify(held)}`);
    // the pixel has no box to fill: it stays blank, and nothing left the machine
    const pixel = await s.page.$eval('#pixel', (img) => img.getAttribute('src'));
    assert.equal(pixel, null);
    assert.deepEqual(s.thirdParty(), [], `third-party requests:\n${describeRequests(s.thirdParty())}`);
  } finally {
    await s.close();
  }
});

test('after "Accept all" the avatar is asked for where the page wrote it, without a reload', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/wp/comments.html'));
    await settle(s.page);
    await markDocument(s.page);
    await choose(s, 'accept');
    await settle(s.page);
    assert.equal(await sameDocument(s.page), true, 'the page was reloaded');
    const asked = s.requests.filter((r) => GRAVATAR.test(r.url));
    assert.ok(asked.length > 0, `no request for the avatar after Accept all:\n${describeRequests(s.thirdParty())}`);
    const src = await s.page.$eval('img.avatar', (img) => img.getAttribute('src'));
    assert.match(src, GRAVATAR);
  } finally {
    await s.close();
  }
});
