// Issue 16, item 1: responses the rewriter once stepped aside for, and so
// passed with their trackers — a UTF-16 page (by its mark, or its label
// alone), a page without a Content-Type, ISO-2022-JP with an escape inside
// a tag name, an XML document with an XHTML script, an SVG document with a
// script. Chromium is the judge: each page served with ConsentEngine Off
// does attempt the tracker (the page has teeth); through mod_consent with
// no consent it attempts nothing beyond 127.0.0.1; after "Accept all" the
// tracker is attempted again (for the sandboxed ones: the page arrives
// without the policy).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { choose, describeRequests, expectBanner, openSession, settle } from './lib/browser.mjs';
import { moduleDir, startServer } from './lib/server.mjs';
import { useSite } from './lib/site.mjs';

const PIXEL = 'https://connect.facebook.net/en_US/fbevents.js';
const TAG = `<script async src="${PIXEL}"></script>`;
const html = (title, body) =>
  `<!DOCTYPE html>\n<html lang="nb"><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>\n`;
const utf16le = (text, bom) =>
  Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(text, 'utf16le')]);

// name -> [file, bytes, directives for that file]
const PAGES = {
  'UTF-16 with its byte order mark': ['mark.html', utf16le(html('Mark', TAG), true), ''],
  'UTF-16 by its label alone': ['label.u16', utf16le(html('Label', TAG), false), 'ForceType "text/html; charset=utf-16"'],
  'no Content-Type, sniffed as HTML': ['typeless', Buffer.from(html('Typeless', TAG)), ''],
  'ISO-2022-JP with an escape in the tag name': [
    'jp.html',
    Buffer.from(html('JP', `<scr\x1b(Bipt async src="${PIXEL}"></script>`), 'latin1'),
    'ForceType "text/html; charset=iso-2022-jp"',
  ],
  'XHTML with a prefixed script': [
    'prefixed.xhtml',
    Buffer.from(
      '<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>P</title></head>' +
        `<body><p>XHTML</p><x:script xmlns:x="http://www.w3.org/1999/xhtml" src="${PIXEL}"></x:script></body></html>\n`,
    ),
    'ForceType application/xhtml+xml',
  ],
  'XHTML with a script from an entity': [
    'entity.xhtml',
    Buffer.from(
      `<?xml version="1.0"?>\n<!DOCTYPE html [<!ENTITY e "<script xmlns='http://www.w3.org/1999/xhtml' src='${PIXEL}'></script>">]>\n` +
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>E</title></head><body><p>XHTML &e;</p></body></html>\n',
    ),
    'ForceType application/xhtml+xml',
  ],
  'an XML document with an XHTML script': [
    'doc.xml',
    Buffer.from(`<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>X</title></head><body><p>XML</p><script src="${PIXEL}"></script></body></html>\n`),
    'ForceType application/xml',
  ],
  'an SVG document with a script': [
    'doc.svg',
    Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="50" height="50"/><script href="${PIXEL}"></script></svg>\n`),
    'ForceType image/svg+xml',
  ],
};

// The sandbox's policy lets the site's own scripts load (script-src 'self',
// for XSLT stylesheets: WordPress's sitemaps); still none may run. Run,
// this one fetches a same-origin image the test looks for.
const OWN_SCRIPT = "new Image().src = '/odd/ran-marker.gif';\n";
const OWN_SCRIPT_XML =
  '<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Own</title></head>' +
  '<body><p>XML</p><script src="/odd/raw/own.js"></script><script src="/odd/own.js"></script></body></html>\n';

function siteConf(dir) {
  const lines = [`LoadModule alias_module ${moduleDir()}/mod_alias.so`];
  for (const [file, text] of [['own.js', OWN_SCRIPT], ['own.xml', OWN_SCRIPT_XML]]) {
    fs.writeFileSync(path.join(dir, file), text);
    fs.chmodSync(path.join(dir, file), 0o644);
  }
  for (const [file, bytes, directives] of Object.values(PAGES)) {
    fs.writeFileSync(path.join(dir, file), bytes);
    fs.chmodSync(path.join(dir, file), 0o644);
    if (directives) lines.push(`<Files "${file}">`, `    ${directives}`, '</Files>');
  }
  lines.push(
    `Alias /odd/raw/ "${dir}/"`,
    `Alias /odd/ "${dir}/"`,
    `<Directory "${dir}">`,
    '    Require all granted',
    '    Header always unset Content-Security-Policy',
    '</Directory>',
    '<Location /odd/raw/>',
    '    ConsentEngine Off',
    '</Location>',
  );
  return lines.join('\n');
}

const site = useSite({
  servers: {
    server: (s) => {
      const dir = s.tempDir('mc-odd-');
      fs.chmodSync(dir, 0o755);
      return startServer({ extraConf: siteConf(dir) });
    },
  },
});

/** Tracker requests the browser attempted for URL, with cookies COOKIES. */
async function attemptsOn(url, cookies = []) {
  const s = await openSession(site.browser, site.server);
  try {
    if (cookies.length) await s.context.addCookies(cookies);
    await s.page.goto(url).catch(() => {});
    await settle(s.page, 600);
    return s.requests.filter((r) => r.url.startsWith('https://connect.facebook.net/'));
  } finally {
    await s.close();
  }
}

/** The consent cookie "Accept all" on the banner sets. */
async function acceptAllCookies() {
  const s = await openSession(site.browser, site.server);
  try {
    await s.page.goto(site.server.url('/'));
    await expectBanner(s.page);
    const res = await choose(s, 'accept');
    assert.equal(res.status(), 200);
    return (await s.context.cookies()).filter((c) => c.name === 'consent');
  } finally {
    await s.close();
  }
}

for (const [name, [file]] of Object.entries(PAGES)) {
  test(`${name}: the tracker is attempted as written, not through the module, and after Accept all`, async () => {
    await site.ready;
    const raw = await attemptsOn(site.server.url(`/odd/raw/${file}`));
    assert.ok(raw.length > 0, 'the page as written attempts no tracker: the test has no teeth');
    const none = await attemptsOn(site.server.url(`/odd/${file}`));
    assert.equal(none.length, 0, `a tracker was attempted without consent:\n${describeRequests(none)}`);
    const accepted = await attemptsOn(site.server.url(`/odd/${file}`), await acceptAllCookies());
    assert.ok(accepted.length > 0, 'after Accept all the tracker is not attempted');
  });
}

test("the site's own script in a sandboxed XML document does not run either", async () => {
  await site.ready;
  const ran = async (url) => {
    const s = await openSession(site.browser, site.server);
    try {
      await s.page.goto(url).catch(() => {});
      await settle(s.page, 600);
      return s.requests.filter((r) => r.url.includes('/odd/ran-marker.gif'));
    } finally {
      await s.close();
    }
  };
  assert.ok((await ran(site.server.url('/odd/raw/own.xml'))).length > 0, 'the script does not run as written: no teeth');
  const none = await ran(site.server.url('/odd/own.xml'));
  assert.equal(none.length, 0, `a script ran in the sandboxed document:\n${describeRequests(none)}`);
});
