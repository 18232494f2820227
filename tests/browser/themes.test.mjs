// Equal prominence under the site's own CSS (issue 15, item 6): a theme
// styles <button> elements, and the banner's Accept all and Reject all are
// buttons while Settings is a <summary>. Under each of Debian's bundled
// WordPress themes (packages wordpress-theme-*, installed by build-aux/deps.sh)
// the three controls must look alike: the same colours, type, border and
// height, as Chromium computes them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { openSession, settle } from './lib/browser.mjs';
import { pagesConf, startServer } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const THEMES = '/usr/share/wordpress/wp-content/themes';
const NAMES = ['twentytwentyone', 'twentytwentytwo', 'twentytwentythree'];
// the markup classes WordPress puts on a page, so that the theme's selectors apply
const page = (theme) => `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>${theme}</title>
<link rel="stylesheet" href="/themes/${theme}/style.css">
</head><body class="home page-template-default page wp-embed-responsive is-light-theme has-background-white">
<div id="page" class="site"><main id="main" class="site-main"><article class="entry"><h1 class="entry-title">Fysio Vest</h1>
<div class="entry-content"><p>Velkommen.</p><div class="wp-block-buttons"><div class="wp-block-button"><a class="wp-block-button__link" href="/">Bestill</a></div></div></div></article></main></div>
</body></html>
`;

function siteConf(dir) {
  const pages = Object.fromEntries(NAMES.map((theme) => [`${theme}.html`, page(theme)]));
  return `${pagesConf('/wp', dir, pages)}
Alias /themes "${THEMES}"
<Directory "${THEMES}">
    Require all granted
</Directory>`;
}

const site = useSite({
  servers: { server: (s) => startServer({ extraConf: siteConf(s.tempDir('mc-themes-')) }) },
});

const LOOK = ['backgroundColor', 'color', 'fontSize', 'fontWeight', 'fontFamily', 'fontStyle', 'lineHeight',
  'letterSpacing', 'textTransform', 'textDecorationLine', 'borderTopWidth', 'borderTopStyle', 'borderTopColor',
  'borderTopLeftRadius', 'paddingTop', 'paddingLeft', 'boxShadow', 'opacity', 'height'];

for (const theme of NAMES) {
  test(`${theme}: Accept all, Reject all and Settings look alike`, { skip: !fs.existsSync(path.join(THEMES, theme, 'style.css')) && 'theme not installed' }, async () => {
    const s = await openSession(site.browser, site.server);
    try {
      await s.page.goto(site.server.url(`/wp/${theme}.html`));
      await settle(s.page);
      const themed = await s.page.evaluate(() => getComputedStyle(document.querySelector('.entry-title')).fontFamily);
      const looks = await s.page.evaluate((props) => {
        // the first layer's three choices (Save sits in the closed Settings)
        const controls = [...document.querySelectorAll('#mc-banner .mc-actions > .mc-btn, #mc-banner .mc-settings > .mc-btn')];
        return controls.map((el) => {
          const cs = getComputedStyle(el);
          return { text: el.textContent.trim(), ...Object.fromEntries(props.map((p) => [p, cs[p]])) };
        });
      }, LOOK);
      assert.equal(looks.length, 3, `controls: ${JSON.stringify(looks)}`);
      for (const p of LOOK) {
        const values = new Set(looks.map((l) => l[p]));
        assert.equal(values.size, 1, `${theme} (headings in ${themed}): ${p} differs: ${looks.map((l) => `${l.text}=${l[p]}`).join(', ')}`);
      }
    } finally {
      await s.close();
    }
  });
}
