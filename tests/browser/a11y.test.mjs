// Accessibility of the pages with the banner open (WCAG 2.2 AA as far as
// axe-core can tell), in Norwegian Bokmål and English. A violation inside
// mod_consent's banner is named as such, so that it reaches whoever owns
// the banner markup and consent.css rather than the demo.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import { expectBanner, openSession, settle } from './lib/browser.mjs';
import { useSite } from './lib/site.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const site = useSite({
  servers: {
    server: {},
    // the settings page shows 127.0.0.1 the administrator's panel too
    adminServer: { extraConf: 'ConsentAdminAddress 127.0.0.1' },
  },
});

/** Runs axe on the page; returns its violations, each node marked banner or page. */
async function axe(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async (tags) => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      iframes: false,
      resultTypes: ['violations'],
    });
    const inBanner = (target) => {
      try {
        const el = document.querySelector(Array.isArray(target) ? target[0] : target);
        return !!(el && el.closest('#mc-banner, #mc-reopen-box, form[action$="/decision"]'));
      } catch {
        return false;
      }
    };
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(' '),
        html: n.html.slice(0, 300),
        summary: n.failureSummary,
        owner: inBanner(n.target) ? 'banner (mod_consent)' : 'page (demo)',
      })),
    }));
  }, TAGS);
}

function describe(violations) {
  return violations
    .map((v) =>
      [`${v.id} (${v.impact}): ${v.help} — ${v.helpUrl}`]
        .concat(v.nodes.map((n) => `    [${n.owner}] ${n.target}\n      ${n.html}\n      ${n.summary.replace(/\n/g, '\n      ')}`))
        .join('\n'),
    )
    .join('\n');
}

// axe is injected as a script tag, which the demo's own policy would stop;
// the policy itself is covered by csp.test.mjs.
const CASES = [
  { lang: 'nb', page: '/', locale: 'nb-NO' },
  { lang: 'en', page: '/en.html', locale: 'en-GB' },
];

for (const c of CASES) {
  for (const layer of ['first layer', 'settings open']) {
    test(`axe: no WCAG 2.2 A/AA violation with the banner open (${c.lang}, ${layer})`, async () => {
      const s = await openSession(site.browser, site.server, { bypassCSP: true, locale: c.locale });
      try {
        await s.page.goto(site.server.url(c.page));
        await settle(s.page);
        const b = await expectBanner(s.page, c.lang);
        if (layer === 'settings open') {
          await b.settings.click();
          assert.ok(await b.category('statistics').isVisible(), 'Settings did not open');
        }
        const violations = await axe(s.page);
        assert.deepEqual(violations.map((v) => v.id), [], `axe found:\n${describe(violations)}`);
      } finally {
        await s.close();
      }
    });
  }
}

test('axe: no WCAG 2.2 A/AA violation on the demo pages after a decision', async () => {
  const s = await openSession(site.browser, site.server, { bypassCSP: true });
  try {
    await s.context.request.post(site.server.url('/_consent/decision'), {
      data: { method: 'reject_all' },
      headers: { Origin: site.server.origin },
    });
    const found = [];
    for (const p of ['/', '/om-oss.html', '/kontakt.html', '/personvern.html', '/en.html']) {
      await s.page.goto(site.server.url(p));
      await settle(s.page);
      for (const v of await axe(s.page)) found.push({ ...v, id: `${p}: ${v.id}` });
    }
    assert.deepEqual(found.map((v) => v.id), [], `axe found:\n${describe(found)}`);
  } finally {
    await s.close();
  }
});

test('axe: no WCAG 2.2 A/AA violation on the settings page, with services, a withdrawal and the admin panel', async () => {
  const s = await openSession(site.browser, site.adminServer, { bypassCSP: true });
  try {
    // statistics and YouTube alone granted; a page seen, so services are in use
    await s.page.goto(site.adminServer.url('/'));
    await settle(s.page);
    const res = await s.context.request.post(site.adminServer.url('/_consent/decision'), {
      data: { method: 'custom', granted: ['statistics'], services: ['youtube'] },
      headers: { Origin: site.adminServer.origin },
    });
    assert.equal(res.status(), 200);
    const found = [];
    for (const lang of ['nb', 'nn', 'en']) {
      await s.page.goto(site.adminServer.url(`/_consent/settings?return=/&lang=${lang}`));
      await settle(s.page);
      assert.equal(await s.page.locator('#mc-admin').count(), 1, 'no administrator panel for 127.0.0.1');
      assert.ok(await s.page.locator('input.mc-service[value="youtube"]').isChecked());
      for (const v of await axe(s.page)) found.push({ ...v, id: `settings (${lang}): ${v.id}` });
    }
    assert.deepEqual(found.map((v) => v.id), [], `axe found:\n${describe(found)}`);
  } finally {
    await s.close();
  }
});
