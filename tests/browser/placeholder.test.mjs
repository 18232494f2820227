// A blocked embed is not a blank hole: before consent the demo's YouTube
// frame keeps its size and shows the server's placeholder page, in the
// page's language; "Load content" there loads that one embed and nothing
// else, records nothing and leaves the rest of the page as it was.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  TRACKERS,
  cookies,
  describeRequests,
  expectBanner,
  markDocument,
  openSession,
  sameDocument,
  settle,
} from './lib/browser.mjs';
import { REPO } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const NB = JSON.parse(fs.readFileSync(path.join(REPO, 'conf', 'locales', 'nb.json'), 'utf8')).texts;
const FRAME = 'iframe[data-consent="marketing"][data-consent-src^="https://www.youtube.com/embed/"]';

const site = useSite();

async function visit(p = '/') {
  const session = await openSession(site.browser, site.server);
  await session.page.goto(site.server.url(p));
  await settle(session.page);
  return session;
}

function placeholderText(lang = NB) {
  const title = lang['category.marketing.title'];
  return lang.placeholder_text
    .replace('{service}', 'YouTube')
    .replace('{category}', title[0].toLowerCase() + title.slice(1));
}

/** The page outside the frame: every held-back element and the banner. */
async function pageState(page) {
  return page.evaluate(() => ({
    held: [...document.querySelectorAll('[data-consent]')].map((e) => e.outerHTML),
    banner: document.getElementById('mc-banner')?.hidden,
    url: location.href,
  }));
}

test('before consent the frame keeps its size and shows the placeholder', async () => {
  const s = await visit('/');
  try {
    await expectBanner(s.page);
    const frame = s.page.locator(FRAME);
    assert.equal(await frame.count(), 1, 'the demo page has no held-back YouTube frame');
    const src = await frame.getAttribute('src');
    // the URL, the language and the module's signature of the URL
    assert.match(src, /^\/_consent\/placeholder\?u=https%3A\/\/www\.youtube\.com\/embed\/.*&l=nb&s=[A-Za-z0-9_-]{22}$/);

    // the box its width and height attributes give it, without the site's CSS
    const box = await frame.evaluate((el) => {
      const sheets = [...document.querySelectorAll('link[rel=stylesheet]')].filter((l) =>
        l.href.includes('site.css'),
      );
      for (const l of sheets) l.disabled = true;
      const out = {
        width: el.clientWidth,
        height: el.clientHeight,
        wAttr: Number(el.getAttribute('width')),
        hAttr: Number(el.getAttribute('height')),
      };
      for (const l of sheets) l.disabled = false;
      return out;
    });
    assert.deepEqual([box.width, box.height], [box.wAttr, box.hAttr]);

    // with the site's CSS, the same box as the real embed gets
    const before = await frame.boundingBox();
    const text = s.page.frameLocator(FRAME).locator('.mc-placeholder-text');
    assert.equal((await text.textContent()).trim(), placeholderText());
    assert.equal(await s.page.frameLocator(FRAME).locator('html').getAttribute('lang'), 'nb');
    const inner = await s.page
      .frameLocator(FRAME)
      .locator('body')
      .evaluate((b) => ({ w: b.getBoundingClientRect().width, h: b.getBoundingClientRect().height }));
    assert.ok(Math.abs(inner.w - before.width) <= 4 && Math.abs(inner.h - before.height) <= 4,
      `the placeholder does not fill the frame: ${JSON.stringify(inner)} in ${JSON.stringify(before)}`);

    const granted = await visit('/');
    try {
      await granted.page.goto(site.server.url('/'));
      await markDocument(granted.page);
      const [res] = await Promise.all([
        granted.page.waitForResponse((r) => new URL(r.url()).pathname === '/_consent/decision'),
        granted.page.getByRole('button', { name: 'Godta alle' }).first().click(),
      ]);
      assert.equal(res.status(), 200);
      await settle(granted.page);
      const after = await granted.page.locator('iframe[src^="https://www.youtube.com/embed/"]').boundingBox();
      assert.deepEqual(after, before, 'the frame changed size once its embed was allowed');
    } finally {
      await granted.close();
    }
  } finally {
    await s.close();
  }
});

test('"Load content" loads only this embed and records nothing', async () => {
  const s = await visit('/');
  try {
    await markDocument(s.page);
    const state = await pageState(s.page);
    const start = s.requests.length;
    const load = s.page.frameLocator(FRAME).getByRole('link', { name: NB.placeholder_load });
    await Promise.all([
      s.page.waitForRequest((r) => TRACKERS.youtube.match(r.url()), { timeout: 10000 }),
      load.click(),
    ]);
    await settle(s.page);

    const made = s.requests.slice(start);
    const youtube = made.filter((r) => TRACKERS.youtube.match(r.url));
    assert.ok(youtube.length > 0, `the embed was not requested:\n${describeRequests(made)}`);
    const others = made.filter((r) => !TRACKERS.youtube.match(r.url) && new URL(r.url).origin !== site.server.url(''));
    const trackers = Object.keys(TRACKERS).filter((k) => k !== 'youtube' && s.requests.some((r) => TRACKERS[k].match(r.url)));
    assert.deepEqual(trackers, [], `other trackers were requested:\n${describeRequests(s.requests)}`);
    assert.equal(others.length, 0, `other third-party requests:\n${describeRequests(others)}`);
    const local = made.filter((r) => new URL(r.url).pathname === '/_consent/decision');
    assert.equal(local.length, 0, 'a decision was posted');

    const jar = await cookies(s);
    assert.ok(!jar.consent, 'a consent cookie was set');
    assert.ok(await sameDocument(s.page), 'the page was reloaded');
    assert.deepEqual(await pageState(s.page), state, 'something else on the page changed');
  } finally {
    await s.close();
  }
});
