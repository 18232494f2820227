// Consent per service: on the demo page, a visitor allows YouTube alone —
// from the video's placeholder (with or without JavaScript) or from the
// second layer — and the video loads while the Meta Pixel, of the same
// marketing category, still makes no request; after a reload too, since
// the server itself now lets YouTube through.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  bannerControls,
  choose,
  consentState,
  describeRequests,
  expectBanner,
  openSession,
  recordsOf,
  screenshotPath,
  settle,
} from './lib/browser.mjs';
import { REPO } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const NB = JSON.parse(fs.readFileSync(path.join(REPO, 'conf', 'locales', 'nb.json'), 'utf8')).texts;
const FRAME = 'iframe[data-consent="marketing"][data-consent-src^="https://www.youtube.com/embed/"]';
const ALLOW_YOUTUBE = NB.placeholder_allow_service.replace('{service}', 'YouTube');

const site = useSite();

async function visit(options = {}) {
  const session = await openSession(site.browser, site.server, options);
  await session.page.goto(site.server.url('/'));
  await settle(session.page);
  return session;
}

/** Requests for YouTube and for the Pixel since index FROM. */
function counts(s, from = 0) {
  const since = s.requests.slice(from);
  const youtube = since.filter((r) => /^https:\/\/www\.youtube\.com\/embed\//.test(r.url));
  const pixel = since.filter((r) => /^https:\/\/(connect\.facebook\.net|www\.facebook\.com\/tr)/.test(r.url));
  return { youtube, pixel };
}

/** YouTube loaded, the Pixel held back, in the page as it is now. */
async function assertYoutubeAlone(s, from, when) {
  const { youtube, pixel } = counts(s, from);
  assert.ok(youtube.length >= 1, `${when}: the video made no request:\n${describeRequests(s.requests.slice(from))}`);
  assert.equal(pixel.length, 0, `${when}: the Meta Pixel made requests:\n${describeRequests(pixel)}`);
  const dom = await s.page.evaluate(() => ({
    frame: document.querySelector('iframe[src^="https://www.youtube.com/embed/"]') !== null,
    pixel: [...document.querySelectorAll('[data-consent-service="meta-pixel"]')].length,
  }));
  assert.ok(dom.frame, `${when}: no live YouTube frame in the page`);
  assert.ok(dom.pixel >= 1, `${when}: the Pixel's elements are no longer held back`);
}

async function reloadAndCheck(s, when) {
  const from = s.requests.length;
  await s.page.reload();
  await settle(s.page);
  await assertYoutubeAlone(s, from, when);
}

async function allowFromPlaceholder(s) {
  const button = s.page.frameLocator(FRAME).getByRole('button', { name: ALLOW_YOUTUBE });
  assert.equal(await button.count(), 1, `the placeholder has no "${ALLOW_YOUTUBE}" button`);
  const from = s.requests.length;
  await Promise.all([
    s.page.waitForResponse((r) => new URL(r.url()).pathname === '/_consent/decision', { timeout: 10000 }),
    button.click(),
  ]);
  await s.page.waitForLoadState('load');
  await settle(s.page);
  return from;
}

test('"Allow YouTube" in the placeholder loads the video and not the Pixel', async () => {
  const s = await visit();
  try {
    await expectBanner(s.page);
    assert.equal(counts(s).youtube.length + counts(s).pixel.length, 0, 'trackers loaded before any choice');
    const from = await allowFromPlaceholder(s);
    await assertYoutubeAlone(s, from, 'after "Allow YouTube"');
    const state = await consentState(s);
    assert.deepEqual(state.services, ['youtube']);
    assert.ok(state.refused.includes('marketing'), JSON.stringify(state));
    const records = await recordsOf(s);
    const last = records[records.length - 1];
    assert.equal(last.via, 'placeholder');
    assert.deepEqual(last.services, ['youtube']);
    await reloadAndCheck(s, 'after a reload');
  } finally {
    await s.close();
  }
});

/* What a visitor sees where the video was, on a phone and a desktop (the
 * pictures go with the note): the three choices fit in the frame's
 * own box, "Allow YouTube" first. */
for (const [name, viewport] of [
  ['phone', { width: 390, height: 844 }],
  ['desktop', { width: 1280, height: 800 }],
]) {
  test(`the placeholder's choices fit the video's box (${name})`, async () => {
    const s = await visit({ viewport });
    try {
      await choose(s, 'reject');
      await settle(s.page);
      const frame = s.page.locator(FRAME);
      await frame.scrollIntoViewIfNeeded();
      const box = await frame.boundingBox();
      const inner = s.page.frameLocator(FRAME);
      await inner.getByRole('button', { name: ALLOW_YOUTUBE }).waitFor();
      const choices = inner.locator('.mc-btn');
      assert.equal(await choices.count(), 3);
      assert.equal((await choices.first().innerText()).trim(), ALLOW_YOUTUBE, 'the service is not the first choice');
      for (let i = 0; i < 3; i++) {
        const b = await choices.nth(i).boundingBox();
        const name = (await choices.nth(i).innerText()).trim();
        assert.ok(
          b.x >= box.x && b.y >= box.y && b.x + b.width <= box.x + box.width + 1 && b.y + b.height <= box.y + box.height + 1,
          `"${name}" lies outside the video's box: ${JSON.stringify(b)} in ${JSON.stringify(box)}`,
        );
        assert.ok(b.height >= 24 && b.width >= 24, `"${name}" is a target under 24 px: ${JSON.stringify(b)}`);
      }
      await s.page.screenshot({ path: screenshotPath(`issue14-placeholder-${name}.png`) });
    } finally {
      await s.close();
    }
  });
}

test('the placeholder form works without JavaScript', async () => {
  const s = await visit({ javaScriptEnabled: false });
  try {
    const from = await allowFromPlaceholder(s);
    await assertYoutubeAlone(s, from, 'without JavaScript, after "Allow YouTube"');
    assert.deepEqual((await consentState(s)).services, ['youtube']);
    await reloadAndCheck(s, 'without JavaScript, after a reload');

    // the settings page shows YouTube ticked, so saving it as it stands
    // keeps it; and "Withdraw consent" there takes it back
    await s.page.goto(site.server.url('/_consent/settings?return=/'));
    const box = s.page.locator('input.mc-service[value="youtube"]');
    assert.ok(await box.isChecked(), 'the settings page shows YouTube unticked after it was allowed');
    await Promise.all([s.page.waitForURL(site.server.url('/')), bannerControls(s.page).save.click()]);
    assert.deepEqual((await consentState(s)).services, ['youtube'], 'saving the settings page dropped YouTube');
    await s.page.goto(site.server.url('/_consent/settings?return=/'));
    await Promise.all([
      s.page.waitForURL(site.server.url('/')),
      s.page.getByRole('button', { name: NB.withdraw }).click(),
    ]);
    const state = await consentState(s);
    assert.deepEqual(state.services, []);
    assert.deepEqual(state.granted, ['necessary']);
    assert.equal((await recordsOf(s)).pop().method, 'withdraw');
  } finally {
    await s.close();
  }
});

/** The second layer's switch for YouTube: the one the banner renders, or
 * (until it does) the contract's markup put next to the marketing box. */
async function youtubeSwitch(page) {
  const b = bannerControls(page);
  const sel = 'input.mc-service[value="youtube"]';
  if ((await b.form.locator(sel).count()) === 0) {
    await b.category('marketing').evaluate((box) => {
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.className = 'mc-service';
      input.name = 'service';
      input.value = 'youtube';
      input.dataset.category = 'marketing';
      input.setAttribute('aria-label', 'YouTube (Google)');
      box.parentElement.after(input);
    });
  }
  return b.form.locator(sel);
}

test('the second layer: only YouTube ticked and saved', async () => {
  const s = await visit();
  try {
    const b = await expectBanner(s.page);
    await b.settings.click();
    const yt = await youtubeSwitch(s.page);
    // ticking marketing covers the service; unticking gives it back
    await b.category('marketing').check();
    assert.ok(await yt.isChecked() && (await yt.isDisabled()), 'marketing ticked: YouTube is not shown as covered');
    await b.category('marketing').uncheck();
    assert.ok(!(await yt.isChecked()) && !(await yt.isDisabled()), 'marketing unticked: YouTube is not its own again');
    await yt.check();
    const from = s.requests.length;
    const res = await choose(s, 'save');
    assert.equal(res.status(), 200);
    const sent = JSON.parse(res.request().postData());
    assert.deepEqual(sent.services, ['youtube']);
    assert.equal(sent.via, 'banner');
    assert.deepEqual((await res.json()).services, ['youtube']);
    await settle(s.page);
    await assertYoutubeAlone(s, from, 'after saving YouTube alone');
    const records = await recordsOf(s);
    assert.equal(records[records.length - 1].via, 'banner');
    await reloadAndCheck(s, 'after a reload');
  } finally {
    await s.close();
  }
});

test('axe: the placeholder with its three choices has no WCAG 2.2 A/AA violation', async () => {
  const { createRequire } = await import('node:module');
  const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  const s = await visit({ bypassCSP: true });
  try {
    const src = await s.page.locator(FRAME).getAttribute('src');
    await s.page.goto(site.server.url(src), { referer: site.server.url('/') });
    for (const name of [ALLOW_YOUTUBE, NB.placeholder_load]) {
      assert.equal(await s.page.getByRole(/Last/.test(name) ? 'link' : 'button', { name }).count(), 1, name);
    }
    await s.page.addScriptTag({ path: AXE });
    const violations = await s.page.evaluate(async () => {
      const r = await window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
        resultTypes: ['violations'],
      });
      return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
    });
    assert.deepEqual(violations, []);
  } finally {
    await s.close();
  }
});

test('a later choice in the banner keeps YouTube allowed from the placeholder', async () => {
  const s = await visit();
  try {
    await allowFromPlaceholder(s);
    await s.page.locator('#mc-reopen').click();
    const b = bannerControls(s.page);
    if (!(await b.category('statistics').isVisible())) await b.settings.click();
    // with a switch for YouTube in the second layer, it shows the grant
    const yt = b.form.locator('input.mc-service[value="youtube"]');
    if ((await yt.count()) > 0) assert.ok(await yt.isChecked(), 'the YouTube switch does not show the grant');
    await b.category('statistics').check();
    const from = s.requests.length;
    const res = await choose(s, 'save');
    assert.deepEqual((await res.json()).services, ['youtube']);
    await settle(s.page);
    assert.equal(counts(s, from).pixel.length, 0, 'the Pixel loaded after saving statistics');
    const state = await consentState(s);
    assert.ok(state.granted.includes('statistics') && state.services.includes('youtube'), JSON.stringify(state));
  } finally {
    await s.close();
  }
});
