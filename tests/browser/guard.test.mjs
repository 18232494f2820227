// The guard in consent.js: scripts, iframes and images that other code
// (tag managers, app bundles) inserts after load are held back until
// consent, like the server holds back those of the page; and Google Consent
// Mode v2 (ConsentGoogleConsentMode).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { choose, describeRequests, expectBanner, openSession, settle } from './lib/browser.mjs';
import { useSite } from './lib/site.mjs';

const site = useSite({
  servers: {
    server: {},
    offServer: { extraConf: 'ConsentGoogleConsentMode Off' },
    gcmServer: { extraConf: 'ConsentGoogleConsentMode On' },
  },
});

async function visit(srv, p = '/') {
  const session = await openSession(site.browser, srv);
  await session.page.goto(srv.url(p));
  await settle(session.page);
  return session;
}

const LATE = {
  script: 'https://connect.facebook.net/en_US/fbevents.js?mc-guard=1',
  iframe: 'https://www.youtube.com/embed/mc-guard',
  img: 'https://www.facebook.com/tr?id=1&ev=PageView&mc-guard=1',
};

/* "Page code" run after load: three ways other code adds trackers, and one
 * first-party script that must run. */
async function insertLater(page) {
  await page.evaluate((late) => {
    const s = document.createElement('script');
    s.async = true;
    s.src = late.script;
    document.head.appendChild(s);
    const f = document.createElement('iframe');
    f.src = late.iframe;
    document.body.append(f);
    const box = document.createElement('div');
    const i = document.createElement('img');
    i.setAttribute('src', late.img);
    box.appendChild(i);
    document.body.insertAdjacentElement('beforeend', box);
    const own = document.createElement('script');
    own.onload = () => {
      window.__mcOwnRan = true;
    };
    own.src = '/personvern.js';
    document.body.appendChild(own);
  }, LATE);
  await settle(page);
}

const lateRequests = (s) => s.requests.filter((r) => r.url.includes('mc-guard'));

async function held(page) {
  return page.evaluate((late) => {
    const find = (tag, url) =>
      [...document.querySelectorAll(`${tag}[data-consent-src]`)].find((e) => e.getAttribute('data-consent-src') === url);
    const one = (tag, url) => {
      const e = find(tag, url);
      return e && { consent: e.getAttribute('data-consent'), src: e.getAttribute('src'), type: e.getAttribute('type') };
    };
    return { script: one('script', late.script), iframe: one('iframe', late.iframe), img: one('img', late.img) };
  }, LATE);
}

test('trackers inserted later are held back until Accept all, then activated', async () => {
  const s = await visit(site.server);
  try {
    await expectBanner(s.page);
    await insertLater(s.page);
    assert.equal(lateRequests(s).length, 0, `attempted before consent:\n${describeRequests(lateRequests(s))}`);
    const h = await held(s.page);
    assert.deepEqual(h.script, { consent: 'marketing', src: null, type: 'text/plain' });
    assert.deepEqual(h.iframe, { consent: 'marketing', src: null, type: null });
    assert.deepEqual(h.img, { consent: 'marketing', src: null, type: null });
    assert.equal(await s.page.evaluate(() => window.__mcOwnRan === true), true, 'a first-party script inserted later did not run');
    assert.ok(s.requests.some((r) => new URL(r.url).pathname.startsWith('/_consent/rules.js')), 'rules.js was not loaded');

    await choose(s, 'accept');
    await settle(s.page);
    for (const [what, url] of Object.entries(LATE)) {
      assert.ok(s.requests.some((r) => r.url === url), `${what} not attempted after Accept all:\n${describeRequests(lateRequests(s))}`);
    }
    const activated = await s.page.evaluate(
      (late) => Object.values(late).map((u) => !!document.querySelector(`[src="${CSS.escape(u)}"]`)),
      LATE,
    );
    assert.deepEqual(activated, [true, true, true]);
  } finally {
    await s.close();
  }
});

test('after Accept all, trackers inserted later go through at once', async () => {
  const s = await visit(site.server);
  try {
    await choose(s, 'accept');
    await settle(s.page);
    await insertLater(s.page);
    for (const url of Object.values(LATE)) assert.ok(s.requests.some((r) => r.url === url), `${url} not attempted`);
    assert.deepEqual(await held(s.page), { script: undefined, iframe: undefined, img: undefined });
  } finally {
    await s.close();
  }
});

const dataLayer = (page) =>
  page.evaluate(() => (window.dataLayer || []).map((e) => (e && typeof e.length === 'number' ? Array.from(e) : e)));
const consentCommands = (dl) => dl.filter((e) => Array.isArray(e) && e[0] === 'consent');

const DENIED = {
  ad_storage: 'denied',
  ad_user_data: 'denied',
  ad_personalization: 'denied',
  analytics_storage: 'denied',
  functionality_storage: 'denied',
  personalization_storage: 'denied',
  security_storage: 'granted',
  wait_for_update: 500,
};
const GRANTED = {
  analytics_storage: 'granted',
  ad_storage: 'granted',
  ad_user_data: 'granted',
  ad_personalization: 'granted',
  functionality_storage: 'granted',
  personalization_storage: 'granted',
};

test('ConsentGoogleConsentMode On: default all denied first, an update on Accept all and on return', async () => {
  const s = await visit(site.gcmServer);
  try {
    await expectBanner(s.page);
    const before = await dataLayer(s.page);
    assert.deepEqual(before[0], ['consent', 'default', DENIED]);
    assert.equal(consentCommands(before).length, 1, JSON.stringify(before));
    await choose(s, 'accept');
    await settle(s.page);
    const afterAccept = consentCommands(await dataLayer(s.page));
    assert.equal(afterAccept.length, 2, JSON.stringify(afterAccept));
    assert.deepEqual(afterAccept[1], ['consent', 'update', GRANTED]);
    // a returning visitor: the default, then at once what was granted
    await s.page.reload();
    await settle(s.page);
    const again = await dataLayer(s.page);
    assert.deepEqual(again[0], ['consent', 'default', DENIED]);
    assert.deepEqual(again[1], ['consent', 'update', GRANTED]);
  } finally {
    await s.close();
  }
});

test('ConsentGoogleConsentMode Off: no consent command in dataLayer', async () => {
  const s = await visit(site.offServer);
  try {
    assert.equal(consentCommands(await dataLayer(s.page)).length, 0);
    await choose(s, 'accept');
    await settle(s.page);
    const dl = await dataLayer(s.page);
    assert.ok(dl.length > 0, 'the page\'s own gtag did not run after Accept all');
    assert.equal(consentCommands(dl).length, 0, JSON.stringify(dl));
  } finally {
    await s.close();
  }
});
