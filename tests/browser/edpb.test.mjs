// The deceptive cookie-banner practices of the EDPB cookie banner taskforce
// (report of 17 January 2023), each checked to be ABSENT on the demo site
// with mod_consent's real banner:
//   - no reject option on the first layer          - pre-ticked boxes
//   - deceptive colours and contrast (and size)     - "legitimate interest"
//   - no easy, permanent way to withdraw            - consent by scrolling
//   - cookie walls / consent by continuing to browse - closing = consent
//   - visually pre-selected ("recommended") choices
// Each test checks the property itself (computed styles, geometry, cookies,
// the consent log), so each fails when the banner does the deceptive thing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  CONSENT_COOKIE,
  DESKTOP,
  LABELS,
  MOBILE,
  bannerControls,
  choose,
  consentState,
  cookies,
  expectBanner,
  openSession,
  settle,
} from './lib/browser.mjs';
import { DEMO, moduleDir, startServer } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const PAGES = ['/', '/om-oss.html', '/kontakt.html', '/personvern.html', '/en.html'];
const langOf = (p) => (p === '/en.html' ? 'en' : 'nb');
const REOPEN = { nb: 'Innstillinger for informasjonskapsler', en: 'Cookie settings' };

// A Nynorsk copy of the home page, served from a directory of the test's own
// (the demo has no Nynorsk page), so that the nn banner is checked as well.
function nynorskConf(nnDir) {
  const html = fs.readFileSync(path.join(DEMO, 'index.html'), 'utf8').replace(/<html([^>]*)\blang="[^"]*"/, '<html$1lang="nn"');
  fs.writeFileSync(path.join(nnDir, 'nn.html'), html, { mode: 0o644 });
  return [
    `<IfModule !alias_module>\nLoadModule alias_module ${moduleDir()}/mod_alias.so\n</IfModule>`,
    `Alias /nn-test/ "${nnDir}/"`,
    `<Directory "${nnDir}">\n    Require all granted\n    ConsentLanguages nb nn en\n</Directory>`,
  ].join('\n');
}

const site = useSite({
  servers: { server: (s) => startServer({ extraConf: nynorskConf(s.tempDir('mc-edpb-nn-')) }) },
});

async function visit(p = '/', options = {}) {
  const s = await openSession(site.browser, site.server, options);
  s.logged = site.server.records().length; // the log is the server's, shared by the tests
  await s.page.goto(site.server.url(p));
  await settle(s.page, 200);
  return s;
}

/** Fails when the visitor has given (or been given) any consent. */
async function assertNoConsent(s, when) {
  const held = await cookies(s);
  assert.ok(!held[CONSENT_COOKIE], `${when}: a consent cookie was set: ${JSON.stringify(held[CONSENT_COOKIE])}`);
  const state = await consentState(s);
  assert.ok(!state.decided, `${when}: the server holds a decision: ${JSON.stringify(state)}`);
  assert.deepEqual(site.server.records().slice(s.logged), [], `${when}: the consent log has new records`);
}

/** Whether an element is inside the viewport, entirely. */
async function inViewport(page, loc) {
  const box = await loc.boundingBox();
  const vp = page.viewportSize();
  return !!box && box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width + 0.5 && box.y + box.height <= vp.height + 0.5;
}

// ---------------------------------------------------------------- first layer

for (const [device, viewport] of Object.entries({ desktop: DESKTOP, mobile: MOBILE })) {
  for (const p of ['/', '/en.html']) {
    test(`EDPB: Reject all is on the first layer, on screen, beside Accept all (${device}, ${p})`, async () => {
      const s = await visit(p, { viewport, isMobile: device === 'mobile' });
      try {
        const b = await expectBanner(s.page, langOf(p));
        for (const [name, loc] of [['Accept all', b.accept], ['Reject all', b.reject]]) {
          assert.ok(await loc.isVisible(), `${name} is not visible without opening anything`);
          assert.ok(await inViewport(s.page, loc), `${name} is not inside the ${viewport.width}x${viewport.height} viewport`);
          const hidden = await loc.evaluate((el) => {
            const d = el.closest('details');
            return !!d && !el.closest('summary');
          });
          assert.equal(hidden, false, `${name} is inside the collapsible second layer (<details>)`);
        }
        // the same level: the same container, nothing between them but each other
        const [same, visibility] = await b.reject.evaluate((r) => {
          const acc = document.querySelector('#mc-form button[name="method"][value="accept_all"]');
          return [r.parentElement === acc.parentElement, getComputedStyle(r).visibility];
        });
        assert.ok(same, 'Reject all is not in the same group as Accept all');
        assert.equal(visibility, 'visible', 'Reject all is invisible');
        const [ab, rb] = [await b.accept.boundingBox(), await b.reject.boundingBox()];
        assert.ok(Math.abs(ab.height - rb.height) < 1, `Accept all is ${ab.height}px high, Reject all ${rb.height}px`);
      } finally {
        await s.close();
      }
    });
  }
}

// ---------------------------------------------------------------- second layer

test('EDPB: no pre-ticked boxes: before a decision every category is unticked, Necessary is locked', async () => {
  for (const p of ['/', '/en.html']) {
    const s = await visit(p);
    try {
      const b = await expectBanner(s.page, langOf(p));
      await b.settings.click();
      const boxes = await b.form.locator('input[type="checkbox"]').evaluateAll((list) =>
        list.map((i) => ({
          id: i.id,
          value: i.value || i.id,
          checked: i.checked,
          disabled: i.disabled,
          visible: !!(i.offsetWidth || i.offsetHeight || i.getClientRects().length),
          ariaChecked: i.getAttribute('aria-checked'),
        })),
      );
      assert.ok(boxes.length >= 3, `the second layer has only ${boxes.length} checkbox(es)`);
      for (const box of boxes) {
        assert.ok(box.visible, `${p}: the checkbox ${box.id} is not visible in the second layer`);
        const necessary = /necessary/.test(box.id) || box.value === 'necessary';
        if (necessary) {
          assert.ok(box.checked && box.disabled, `${p}: Necessary is not locked on: ${JSON.stringify(box)}`);
        } else {
          assert.equal(box.checked, false, `${p}: "${box.value}" is pre-ticked`);
          assert.equal(box.disabled, false, `${p}: "${box.value}" cannot be changed`);
          assert.notEqual(box.ariaChecked, 'true', `${p}: "${box.value}" says aria-checked=true`);
        }
      }
      assert.ok(boxes.some((x) => /necessary/.test(x.id)), 'no Necessary category is shown');
      // Other toggles (role=switch, radios) would be pre-selections too.
      const others = await b.form.locator('[role="switch"][aria-checked="true"], input[type="radio"]:checked').count();
      assert.equal(others, 0, `${p}: the banner has ${others} pre-selected switch(es) or radio(s)`);
    } finally {
      await s.close();
    }
  }
});

// ---------------------------------------------------------------- colours, contrast

const LOOK = [
  'fontFamily', 'fontSize', 'fontWeight', 'fontStyle', 'textTransform', 'textDecorationLine', 'letterSpacing',
  'color', 'backgroundColor', 'backgroundImage', 'opacity',
  'borderTopWidth', 'borderRightWidth', 'borderBottomWidth', 'borderLeftWidth',
  'borderTopStyle', 'borderTopColor', 'borderRightColor', 'borderBottomColor', 'borderLeftColor',
  'borderTopLeftRadius', 'borderBottomRightRadius',
  'paddingTop', 'paddingRight', 'paddingBottom', 'paddingLeft',
  'boxShadow', 'outlineStyle', 'outlineWidth', 'filter',
];

// In the page: the element's text colour and the colour actually behind it
// (the first non-transparent background up the tree, composited over white).
function colours(el) {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const layers = [];
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    const c = parse(getComputedStyle(n).backgroundColor);
    if (c && c.a > 0) layers.push(c);
    if (c && c.a === 1) break;
  }
  let bg = { r: 255, g: 255, b: 255, a: 1 };
  for (const c of layers.reverse()) bg = over(c, bg);
  const fg = over(parse(getComputedStyle(el).color), bg);
  return { fg, bg };
}

function luminance({ r, g, b }) {
  const lin = (v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test('contrast() is the WCAG ratio (black on white 21, white on white 1)', () => {
  const white = { r: 255, g: 255, b: 255 };
  assert.equal(Math.round(contrast({ r: 0, g: 0, b: 0 }, white) * 100) / 100, 21);
  assert.equal(contrast(white, white), 1);
  assert.ok(Math.abs(contrast({ r: 0x76, g: 0x76, b: 0x76 }, white) - 4.54) < 0.01);
});

for (const scheme of ['light', 'dark']) {
  test(`EDPB: Accept all and Reject all have the same size, colours, font, border and contrast (≥ 4.5:1, ${scheme})`, async () => {
    for (const p of ['/', '/en.html']) {
      const s = await visit(p, { colorScheme: scheme });
      try {
        const b = await expectBanner(s.page, langOf(p));
        const look = {};
        for (const [name, loc] of Object.entries({ accept: b.accept, reject: b.reject })) {
          const style = await loc.evaluate((el, props) => {
            const cs = getComputedStyle(el);
            return Object.fromEntries(props.map((x) => [x, cs[x]]));
          }, LOOK);
          const box = await loc.boundingBox();
          const { fg, bg } = await loc.evaluate(colours);
          look[name] = { style, width: Math.round(box.width), height: Math.round(box.height), ratio: contrast(fg, bg) };
        }
        assert.deepEqual(look.reject.style, look.accept.style, `${p}: Reject all is styled unlike Accept all`);
        assert.ok(Math.abs(look.reject.width - look.accept.width) <= 1, `${p}: widths ${look.accept.width} vs ${look.reject.width}`);
        assert.equal(look.reject.height, look.accept.height, `${p}: heights differ`);
        assert.ok(Math.abs(look.accept.ratio - look.reject.ratio) < 0.01,
          `${p}: contrast ${look.accept.ratio.toFixed(2)} (Accept) vs ${look.reject.ratio.toFixed(2)} (Reject)`);
        assert.ok(look.accept.ratio >= 4.5, `${p}: the buttons' contrast is ${look.accept.ratio.toFixed(2)}:1, under 4.5:1`);
      } finally {
        await s.close();
      }
    }
  });
}

// ---------------------------------------------------------------- legitimate interest

test('EDPB: no "legitimate interest" toggles or texts in the nb, nn and en banner', async () => {
  const LI = /legitimate interest|legitimate interests|berettig\w* interesse|berettiga interesse|legitim\w* interesse/i;
  const seen = {};
  for (const [lang, p] of [['nb', '/'], ['nn', '/nn-test/nn.html'], ['en', '/en.html']]) {
    const s = await visit(p);
    try {
      const banner = s.page.locator('#mc-banner');
      assert.equal(await banner.count(), 1, `${p}: no banner`);
      assert.equal(await banner.getAttribute('lang'), lang, `${p}: the banner is not in ${lang}`);
      // everything the banner can show: both layers, labels, attributes
      const text = await banner.evaluate((el) => {
        const attrs = [...el.querySelectorAll('*')].flatMap((n) =>
          [...n.attributes].filter((a) => /^(aria-|title|value|name|alt|placeholder)/.test(a.name)).map((a) => a.value));
        return `${el.textContent}\n${attrs.join('\n')}`;
      });
      seen[lang] = text;
      assert.ok(text.length > 200, `${p}: the banner's text is suspiciously short`);
      assert.doesNotMatch(text, LI, `${p}: the ${lang} banner speaks of legitimate interest`);
      const reopen = await s.page.locator('#mc-reopen-box').textContent();
      assert.doesNotMatch(reopen, LI);
    } finally {
      await s.close();
    }
  }
  // the three really are three languages
  assert.notEqual(seen.nb, seen.nn, 'the nn banner is the nb one');
  assert.notEqual(seen.nb, seen.en);
  // and the pattern does catch the words it is for
  for (const t of ['Legitimate interest', 'berettiget interesse', 'berettiga interesse']) assert.match(t, LI);
});

// ---------------------------------------------------------------- withdrawal

test('EDPB: after a decision "Cookie settings" is visible, reachable by Tab and reopens the choices, on every demo page', async () => {
  const s = await visit('/');
  try {
    await expectBanner(s.page);
    await choose(s, 'reject');
    for (const p of PAGES) {
      const lang = langOf(p);
      await s.page.goto(site.server.url(p));
      await settle(s.page, 100);
      const b = bannerControls(s.page, lang);
      assert.equal(await b.form.isVisible(), false, `${p}: the banner is shown again after the decision`);
      const reopen = s.page.getByRole('link', { name: REOPEN[lang] });
      assert.equal(await reopen.count(), 1, `${p}: no "${REOPEN[lang]}" control`);
      assert.ok(await reopen.isVisible(), `${p}: "${REOPEN[lang]}" is not visible`);
      assert.ok(await inViewport(s.page, reopen), `${p}: "${REOPEN[lang]}" is off screen`);
      // by keyboard alone, from the top of the page
      await s.page.evaluate(() => document.activeElement && document.activeElement.blur());
      let reached = false;
      for (let i = 0; i < 30 && !reached; i++) {
        await s.page.keyboard.press('Tab');
        reached = await s.page.evaluate(() => document.activeElement?.id === 'mc-reopen');
      }
      assert.ok(reached, `${p}: Tab never reaches "${REOPEN[lang]}"`);
      await s.page.keyboard.press('Enter');
      await b.accept.waitFor({ state: 'visible', timeout: 5000 });
      for (const [name, loc] of [['accept', b.accept], ['reject', b.reject]]) {
        assert.ok(await loc.isVisible(), `${p}: "${REOPEN[lang]}" reopened the banner without ${name}`);
      }
      assert.ok(await b.category('statistics').isVisible(), `${p}: the reopened banner does not show the categories`);
    }
  } finally {
    await s.close();
  }
});

// ---------------------------------------------------------------- scrolling, browsing on

test('EDPB: scrolling and going on to another page is no consent: no cookie, no record, the banner stays', async () => {
  const s = await visit('/');
  try {
    await expectBanner(s.page);
    for (let i = 0; i < 8; i++) await s.page.mouse.wheel(0, 600);
    await s.page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await s.page.keyboard.press('End');
    await settle(s.page, 300);
    assert.ok((await s.page.evaluate(() => window.scrollY)) > 200, 'the page did not scroll');
    await assertNoConsent(s, 'after scrolling');
    assert.ok(await bannerControls(s.page).accept.isVisible(), 'the banner went away on scrolling');

    for (const name of ['Om oss', 'Kontakt og veibeskrivelse']) {
      await Promise.all([
        s.page.waitForLoadState('load'),
        s.page.locator('nav.meny').getByRole('link', { name, exact: true }).click(),
      ]);
      await settle(s.page, 200);
      await expectBanner(s.page);
      await assertNoConsent(s, `after going on to "${name}"`);
    }
  } finally {
    await s.close();
  }
});

// ---------------------------------------------------------------- cookie wall

test('EDPB: no cookie wall: with the banner open a link in the content is the element hit, and works', async () => {
  const s = await visit('/');
  try {
    const b = await expectBanner(s.page);
    assert.ok(await b.form.isVisible());
    const link = s.page.locator('main a[href="/kontakt.html"]').first();
    await link.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    const hit = await link.evaluate((el) => {
      const r = el.getBoundingClientRect();
      const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return { self: at === el, at: at ? `${at.tagName.toLowerCase()}#${at.id}.${at.className}` : null };
    });
    assert.ok(hit.self, `the centre of the content link is covered by ${hit.at}`);
    // no overlay, no scroll lock, and the banner leaves most of the page free
    const page = await s.page.evaluate(() => ({
      htmlOverflow: getComputedStyle(document.documentElement).overflowY,
      bodyOverflow: getComputedStyle(document.body).overflowY,
      inert: !!document.querySelector('main[inert], body > [inert]'),
      hiddenMain: document.querySelector('main').closest('[aria-hidden="true"]') !== null,
      banner: document.getElementById('mc-banner').getBoundingClientRect().height,
      vh: innerHeight,
    }));
    assert.notEqual(page.htmlOverflow, 'hidden', 'the page cannot scroll while the banner is open');
    assert.notEqual(page.bodyOverflow, 'hidden', 'the page cannot scroll while the banner is open');
    assert.equal(page.inert, false, 'the content is inert while the banner is open');
    assert.equal(page.hiddenMain, false, 'the content is aria-hidden while the banner is open');
    assert.ok(page.banner < page.vh / 2, `the banner covers ${page.banner}px of a ${page.vh}px viewport`);
    await Promise.all([s.page.waitForURL(/\/kontakt\.html$/), link.click({ timeout: 5000 })]);
    await assertNoConsent(s, 'after following a content link');
  } finally {
    await s.close();
  }
});

// ---------------------------------------------------------------- closing

test('EDPB: Escape (closing without choosing) records nothing and leaves the choice open', async () => {
  const s = await visit('/');
  try {
    const b = await expectBanner(s.page);
    await b.form.locator('#mc-title').focus();
    await s.page.keyboard.press('Escape');
    await b.settings.click();
    await b.category('statistics').focus();
    await s.page.keyboard.press('Escape');
    await s.page.keyboard.press('Escape');
    await settle(s.page, 300);
    await assertNoConsent(s, 'after Escape');
    // the first layer is still there to choose from
    assert.ok(await b.accept.isVisible(), 'Accept all went away on Escape');
    assert.ok(await b.reject.isVisible(), 'Reject all went away on Escape');
    await s.page.reload();
    await settle(s.page, 200);
    await expectBanner(s.page);
    await assertNoConsent(s, 'after Escape and a reload');
  } finally {
    await s.close();
  }
});

// ---------------------------------------------------------------- pre-selection

test('EDPB: neither choice is visually pre-selected, focused or marked as recommended', async () => {
  for (const p of ['/', '/en.html']) {
    const s = await visit(p);
    try {
      const b = await expectBanner(s.page, langOf(p));
      const focusedChoice = await s.page.evaluate(() => {
        const el = document.activeElement;
        return el && el.matches('button[name="method"], summary') ? el.textContent.trim() : null;
      });
      assert.equal(focusedChoice, null, `${p}: "${focusedChoice}" has the focus on load`);
      for (const [name, loc] of [['Accept all', b.accept], ['Reject all', b.reject]]) {
        const st = await loc.evaluate((el) => {
          const cs = getComputedStyle(el);
          return {
            outline: cs.outlineStyle,
            autofocus: el.hasAttribute('autofocus'),
            cls: el.className,
            aria: [el.getAttribute('aria-pressed'), el.getAttribute('aria-current'), el.getAttribute('aria-selected')],
            before: getComputedStyle(el, '::before').content,
            after: getComputedStyle(el, '::after').content,
            text: el.textContent.trim(),
          };
        });
        assert.equal(st.outline, 'none', `${p}: ${name} shows a focus ring without focus`);
        assert.equal(st.autofocus, false, `${p}: ${name} has autofocus`);
        assert.doesNotMatch(st.cls, /primary|recommend|highlight|default|cta/i, `${p}: ${name} has class "${st.cls}"`);
        assert.deepEqual(st.aria, [null, null, null], `${p}: ${name} is marked pressed/current/selected`);
        for (const c of [st.before, st.after]) assert.ok(c === 'none' || c === 'normal' || c === '""', `${p}: ${name} has generated content ${c}`);
        assert.doesNotMatch(st.text, /recommend|anbefal/i, `${p}: ${name} reads "${st.text}"`);
      }
      const banner = await s.page.locator('#mc-banner').textContent();
      assert.doesNotMatch(banner, /recommended|anbefal/i, `${p}: the banner recommends a choice`);
      // what the buttons say is what they do, in plain words
      assert.equal((await b.accept.textContent()).trim(), LABELS[langOf(p)].accept);
      assert.equal((await b.reject.textContent()).trim(), LABELS[langOf(p)].reject);
    } finally {
      await s.close();
    }
  }
});
