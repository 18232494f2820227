// Tracker elements too long for the rewriter to hold (issue 16, item 3):
// the Meta Pixel's script tag with a 16 KiB attribute in front of its src,
// and the Meta Pixel snippet padded past the 64 KiB inline cap by a comment.
// Neither can be classified, so both fail closed: Chromium (its preload
// scanner included) attempts no request to the tracker host until the
// visitor accepts all, and then both come to life in the page. An <img>
// whose long src is a data: URL shows for everyone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { choose, describeRequests, expectBanner, markDocument, openSession, sameDocument, settle } from './lib/browser.mjs';
import { moduleDir, startServer } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const TAG_URL = 'https://connect.facebook.net/en_US/fbevents.js';
const SNIPPET_URL = 'https://connect.facebook.net/nb_NO/fbevents.js';
// a later type: the preload scanner reads the last one
const TAG = `<script data-x="${'a'.repeat(16 * 1024)}" type=module src=${TAG_URL}></script>`;
// the vendor's snippet as sites paste it (tests/data/inline), its calls
// pushed past the inline cap by a comment
const META_PIXEL = fs.readFileSync(new URL('../data/inline/meta-pixel.js', import.meta.url), 'utf8');
const SNIPPET = `<script>\n${META_PIXEL.replace('https://connect.facebook.net/en_US/fbevents.js', SNIPPET_URL).replace(
  "fbq('init'",
  `/*${' '.repeat(64 * 1024)}*/\nfbq('init'`,
)}</script>`;
// 7 x 5 pixels, its markup padded past the tag cap by a comment
const LOGO = `data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='7' height='5'><!--${'p'.repeat(20 * 1024)}--></svg>`;
const PAGE = `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Lang side</title>
${TAG}
</head><body><h1>Timebestilling</h1>
<img id="logo" alt="Logo" src="${LOGO}">
${SNIPPET}
<p>Slutt</p></body></html>
`;

// every other kind of target, each with a long attribute before what it
// fetches (a later type, rel or href is what the preload scanner would take)
const PAD = 'z'.repeat(16 * 1024);
const T = 'https://www.facebook.com';
const OTHERS = `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Andre</title>
<link data-x="${PAD}" rel=preload as=image href=${T}/link.png imagesrcset="${T}/link2.png 1x">
<link data-x="${PAD}" rel=stylesheet href=${T}/sheet.css>
<style data-x="${PAD}">@import url(${T}/import.css);</style>
</head><body><h1>Andre</h1>
<img alt="${PAD}" src=${T}/img.png>
<picture><source data-x="${PAD}" srcset=${T}/source.png><img alt="" src="/logo.png"></picture>
<iframe title="${PAD}" src=${T}/frame.html></iframe>
<video class="${PAD}" poster=${T}/poster.png src=${T}/video.mp4 preload=auto></video>
<object class="${PAD}" data=${T}/object.html type=text/html></object>
<input class="${PAD}" type=image src=${T}/input.png>
<svg><image class="${PAD}" href=${T}/svg.png width=9 height=9 /><script class="${PAD}" href=${T}/svg.js></script></svg>
<p>Slutt</p></body></html>
`;

// held back behind attributes: consent.js reloads the page for it
const VIDEO = `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Video</title></head><body><h1>Video</h1>
<video class="${PAD}" poster=${T}/poster.png width=320 height=180></video>
</body></html>
`;

function siteConf(dir) {
  fs.writeFileSync(path.join(dir, 'index.html'), PAGE);
  fs.writeFileSync(path.join(dir, 'others.html'), OTHERS);
  fs.writeFileSync(path.join(dir, 'video.html'), VIDEO);
  return `LoadModule alias_module ${moduleDir()}/mod_alias.so
Alias /long "${dir}"
<Directory "${dir}">
    Require all granted
    Header always unset Content-Security-Policy
</Directory>`;
}

const site = useSite({
  servers: { server: (s) => startServer({ extraConf: siteConf(s.tempDir('mc-long-')) }) },
});

const attempts = (s, url) => s.requests.filter((r) => r.url === url);
const toTracker = (s) => s.requests.filter((r) => new URL(r.url).hostname === 'connect.facebook.net');

async function logoWidth(page) {
  return page.evaluate(() => {
    const img = document.getElementById('logo');
    return img && img.complete ? img.naturalWidth : -1;
  });
}

test('without consent neither is attempted; after "Accept all" both run in the page', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/long/'));
    await settle(s.page);
    await expectBanner(s.page);
    assert.deepEqual(toTracker(s), [], `requests to the tracker host before any choice:\n${describeRequests(toTracker(s))}`);
    assert.equal(await logoWidth(s.page), 7, 'the data: image does not show');
    assert.equal(await s.page.evaluate(() => typeof window.fbq), 'undefined', 'the snippet ran');

    await choose(s, 'accept');
    await settle(s.page);
    assert.equal(attempts(s, TAG_URL).length, 1, `the tag's script was not attempted:\n${describeRequests(s.requests)}`);
    assert.equal(attempts(s, SNIPPET_URL).length, 1, `the snippet did not run:\n${describeRequests(s.requests)}`);
    assert.equal(await s.page.evaluate(() => typeof window.fbq), 'function', 'fbq is not defined');
    assert.equal(await logoWidth(s.page), 7);
  } finally {
    await s.close();
  }
});

test('"Reject all" keeps both held back on the next page', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/long/'));
    await settle(s.page);
    await choose(s, 'reject');
    await s.page.reload();
    await settle(s.page);
    assert.deepEqual(toTracker(s), [], `requests to the tracker host after "Reject all":\n${describeRequests(toTracker(s))}`);
    assert.equal(await logoWidth(s.page), 7, 'the data: image does not show');
  } finally {
    await s.close();
  }
});

test('a visitor who accepted all gets both as they were on a new page', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/long/'));
    await settle(s.page);
    await choose(s, 'accept');
    const before = s.requests.length;
    await s.page.reload();
    await settle(s.page);
    const later = s.requests.slice(before);
    assert.ok(later.some((r) => r.url === TAG_URL), `the tag's script was not attempted:\n${describeRequests(later)}`);
    assert.ok(later.some((r) => r.url === SNIPPET_URL), `the snippet did not run:\n${describeRequests(later)}`);
  } finally {
    await s.close();
  }
});

test('no other kind of oversized target reaches a tracker without consent', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/long/others.html'));
    await settle(s.page);
    await expectBanner(s.page);
    const out = s.requests.filter((r) => r.url.startsWith(T));
    assert.deepEqual(out, [], `requests to ${T} before any choice:\n${describeRequests(out)}`);
    assert.ok(await s.page.locator('p', { hasText: 'Slutt' }).isVisible(), 'the rest of the page is gone');
  } finally {
    await s.close();
  }
});

test('a video held back behind attributes comes with the page reloaded after "Accept all"', async () => {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/long/video.html'));
    await settle(s.page);
    const poster = () => s.requests.filter((r) => r.url === `${T}/poster.png`);
    assert.deepEqual(poster(), [], 'the poster was attempted before any choice');
    assert.equal(await s.page.locator('video[data-consent-reload]').count(), 1);
    await markDocument(s.page);
    await Promise.all([s.page.waitForNavigation({ timeout: 10000 }), choose(s, 'accept')]);
    await settle(s.page);
    assert.ok(!(await sameDocument(s.page)), 'the page was not reloaded');
    assert.equal(poster().length, 1, `the poster was not attempted after the reload:\n${describeRequests(s.requests)}`);
    assert.equal(await s.page.locator('video[data-consent]').count(), 0, 'the video is still held back');
  } finally {
    await s.close();
  }
});
