// The leak corpus of issue 10, "Nothing slips through": pages whose markup
// makes the browser ask a tracker host for something, each in a way a
// rewriter can miss. tests/browser/leaks.test.mjs judges them in Chromium;
// tests/data/leaks/README.md lists the classes.
//
// An entry:
//   name       unique; also the page's file name (slugged)
//   class      which of the classes of the README it belongs to
//   html       the page, as a site would serve it
//   expect     what a tracker request of this page looks like (RegExp on the URL)
//   jsOn/jsOff whether the page, as written, makes that request with
//              JavaScript on / off (the test proves it does, then that the
//              module stops it); false where the browser would not
//   restores   whether "Accept all" should bring the request back (the
//              element kinds consent.js restores, and with JavaScript off
//              the unmodified page the server sends after the choice)
//   needsClick a selector to click before counting (pings)
//   witness    'dom' where the browser acts without a request it reports
//              (preconnect, dns-prefetch, prerender): a live <link> hint to a
//              third party in the document counts as the attempt
//   context    extra browser-context options (deviceScaleFactor for srcset)
//   files      other files the page needs, served beside it ({name: text})
//   todo       for modes listed, the reason this cannot pass there yet

/** The classes, in report order. */
export const CLASSES = {
  baseline: '0. the plain cases the rewriter was built for',
  decoding: '1. attribute value decoding',
  attributes: '2. every fetching attribute',
  base: '3. <base href>',
  srcdoc: '4. <iframe srcdoc>',
  css: '5. CSS',
  noscript: '6. <noscript>',
  inline: '7. inline scripts naming a tracker in a string',
  vendor: '8. vendor snippets',
  computed: '9. script-computed requests',
  contexts: '10. foreign content and parsing contexts',
};

const ENFORCE_ONLY = { off: 'closed only by ConsentCSP Enforce' };

function page(title, head, body, bodyAttrs = '') {
  return (
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${title}</title>\n${head}\n</head>\n` +
    `<body${bodyAttrs}>\n<h1>${title}</h1>\n${body}\n<p><a id="go" href="target.html">next page</a></p>\n</body>\n</html>\n`
  );
}

// Tracker URLs the shipped catalogue (conf/rules/default.json) classifies.
const GA_PIXEL = 'https://www.google-analytics.com/collect?v=1&amp;t=pageview&amp;tid=UA-12345-1';
const GA = /google-analytics\.com\.?\//;
const FB_PIXEL = 'https://www.facebook.com/tr?id=1234567890&amp;ev=PageView&amp;noscript=1';
const FB = /^https?:\/\/www\.facebook\.com\/tr\b/;
const FBEVENTS = 'https://connect.facebook.net/en_US/fbevents.js';
const FBE = /connect\.facebook\.net\/en_US\/fbevents\.js/;
const LI_PIXEL = 'https://px.ads.linkedin.com/collect/?pid=1234567&amp;fmt=gif';
const LI = /px\.ads\.linkedin\.com\//;
const LI_SCRIPT = 'https://snap.licdn.com/li.lms-analytics/insight.min.js';
const LIS = /snap\.licdn\.com\//;
const GTAG = 'https://www.googletagmanager.com/gtag/js?id=G-ABC123XYZ9';
const GTAGR = /googletagmanager\.com\/gtag\/js/;
const YT = /youtube\.com\/embed\//;
const HJ = /hotjar\.com\//;

const img = (src) => `<img src="${src}" alt="" width="1" height="1">`;

const decoding = [
  ['named reference &colon;', img('https&colon;//www.google-analytics.com/collect?v=1&amp;t=pageview')],
  ['named references &colon; and &sol;', img('https&colon;&sol;&sol;www.google-analytics.com/collect?v=1')],
  ['decimal reference with ;', img('&#104;ttps://www.google-analytics.com/collect?v=1')],
  ['decimal reference without ;', img('&#104ttps://www.google-analytics.com/collect?v=1')],
  ['hex reference with ; in the host', img('https://www.google&#x2d;analytics.com/collect?v=1')],
  ['hex reference without ;', img('&#x68ttps://www.google-analytics.com/collect?v=1')],
  ['decimal reference without ; in the host', img('https://www.google&#45analytics.com/collect?v=1')],
  ['named reference &period; in the host', img('https://www&period;google-analytics&period;com/collect?v=1')],
  ['every character a reference', img('&#x68;&#x74;&#x74;&#x70;&#x73;&#x3a;&#x2f;&#x2f;&#x77;&#x77;&#x77;&#x2e;&#x67;&#x6f;&#x6f;&#x67;&#x6c;&#x65;&#x2d;&#x61;&#x6e;&#x61;&#x6c;&#x79;&#x74;&#x69;&#x63;&#x73;&#x2e;&#x63;&#x6f;&#x6d;&#x2f;&#x63;')],
  ['leading and trailing whitespace', `<img alt="" src="  \n\t https://www.google-analytics.com/collect?v=1 \n ">`],
  ['newline and tab inside the URL', `<img alt="" src="https://www.goo\n\tgle-analytics.com/collect?v=1">`],
  ['&Tab; and &NewLine; inside the scheme', img('ht&Tab;tp&NewLine;s://www.google-analytics.com/collect?v=1')],
  ['upper-case scheme and host', img('HTTPS://WWW.GOOGLE-ANALYTICS.COM/collect?v=1')],
  ['mixed-case host', img('https://Www.Google-Analytics.Com/collect?v=1')],
  ['protocol-relative //host', img('//www.google-analytics.com/collect?v=1')],
  ['backslashes \\\\host', img('\\\\www.google-analytics.com/collect?v=1')],
  ['backslashes https:\\\\host', img('https:\\\\www.google-analytics.com\\collect?v=1')],
  ['mixed slashes /\\host', img('/\\www.google-analytics.com/collect?v=1')],
  ['scheme without slashes https:host', img('https:www.google-analytics.com/collect?v=1')],
  ['percent-encoded host', img('https://www.%67oogle-analytics.com/collect?v=1')],
  ['full-width letters in the host', img('https://www.ｇｏｏｇｌｅ-analytics.com/collect?v=1')],
  ['full-width dots in the host', img('https://www．google-analytics．com/collect?v=1')],
  // closed before consent either way; after it, a Content-Security-Policy
  // cannot name a host written with its trailing dot, so Enforce keeps it out
  ['trailing dot after the host', img('https://www.google-analytics.com./collect?v=1'), { todo: { enforce: 'open: after consent ConsentCSP Enforce still refuses a host written with a trailing dot' } }],
  ['user info before the host', img('https://127.0.0.1@www.google-analytics.com/collect?v=1')],
  ['explicit default port', img('https://www.google-analytics.com:443/collect?v=1')],
  ['unquoted attribute value', `<img alt="" src=https://www.google-analytics.com/collect?v=1>`],
  ['single-quoted attribute value', `<img alt="" src='https://www.google-analytics.com/collect?v=1'>`],
  ['upper-case element and attribute names', `<IMG ALT="" SRC="https://www.google-analytics.com/collect?v=1">`],
  ['duplicate src: the first one counts', `<img alt="" src="https://www.google-analytics.com/collect?v=1" src="/leaks/none.png">`],
  ['script src with references', `<script src="https&colon;//connect.facebook.net&sol;en_US/fbevents.js"></script>`, { jsOff: false, expect: FBE }],
].map(([what, body, over = {}]) => ({
  name: `decoding: ${what}`,
  class: 'decoding',
  html: page(`decoding: ${what.replace(/&/g, '&amp;')}`, '', body),
  expect: GA,
  jsOn: true,
  jsOff: true,
  restores: true,
  ...over,
}));

const svg = (inner) => `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="20">${inner}</svg>`;

const attributes = [
  ['img srcset, one candidate', '', `<img alt="" srcset="${FB_PIXEL} 1x">`, FB],
  ['img srcset, the second candidate (2x screen)', '', `<img alt="" src="/leaks/none-1x.png" srcset="/leaks/none-1x.png 1x, ${FB_PIXEL} 2x">`, FB, { context: { deviceScaleFactor: 2 } }],
  ['img srcset with w descriptors and sizes', '', `<img alt="" sizes="100vw" srcset="/leaks/none-100.png 100w, ${LI_PIXEL} 2000w">`, LI],
  ['picture source srcset', '', `<picture><source srcset="${FB_PIXEL}"><img alt="" src="/leaks/none.png"></picture>`, FB],
  ['picture source srcset with media and type', '', `<picture><source media="(min-width: 1px)" type="image/gif" srcset="${LI_PIXEL} 1x"><img alt="" src="/leaks/none.png"></picture>`, LI],
  ['link rel=preload imagesrcset', `<link rel="preload" as="image" imagesrcset="${FB_PIXEL} 1x">`, '', FB],
  ['link rel=preload as=image href', `<link rel="preload" as="image" href="${FB_PIXEL}">`, '', FB],
  ['video poster', '', `<video poster="${FB_PIXEL}" width="20" height="20"></video>`, FB],
  ['video src', '', `<video src="https://www.youtube.com/embed/dQw4w9WgXcQ.mp4" preload="auto" width="20" height="20"></video>`, YT],
  ['audio src', '', `<audio src="${LI_PIXEL}" preload="auto" controls></audio>`, LI],
  ['video source src', '', `<video preload="auto" width="20" height="20"><source src="https://player.vimeo.com/external/12345.sd.mp4" type="video/mp4"></video>`, /player\.vimeo\.com\//],
  ['track src', '', `<video src="/leaks/none.mp4" preload="auto" width="20" height="20"><track default kind="captions" srclang="en" src="https://www.google-analytics.com/captions.vtt"></video>`, GA],
  ['input type=image src', '', `<form action="target.html"><input type="image" alt="go" src="${FB_PIXEL}"></form>`, FB],
  ['object data', '', `<object data="https://www.youtube.com/embed/dQw4w9WgXcQ" width="200" height="120"></object>`, YT],
  ['object data, image type', '', `<object data="${FB_PIXEL}" type="image/gif" width="20" height="20"></object>`, FB],
  ['embed src', '', `<embed src="https://www.youtube.com/embed/dQw4w9WgXcQ" width="200" height="120">`, YT],
  ['SVG image href', '', svg(`<image href="${FB_PIXEL}" width="10" height="10"/>`), FB],
  ['SVG image xlink:href', '', svg(`<image xlink:href="${FB_PIXEL}" width="10" height="10"/>`), FB],
  ['SVG script href', '', svg(`<script href="${FBEVENTS}"></script>`), FBE, { jsOff: false }],
  ['SVG script xlink:href', '', svg(`<script xlink:href="${FBEVENTS}"></script>`), FBE, { jsOff: false }],
  ['SVG use href (external)', '', svg(`<use href="https://www.google-analytics.com/sprite.svg#dot"/>`), GA],
  ['SVG feImage href', '', svg(`<filter id="f"><feImage href="${FB_PIXEL}"/></filter><rect width="10" height="10" filter="url(#f)"/>`), FB],
  ['link rel=stylesheet', `<link rel="stylesheet" href="https://static.hotjar.com/c/hotjar-1234567.css">`, '', HJ],
  // with JavaScript off Chromium refuses script preloads itself (it reports
  // them stopped with the reason "csp", policy or not): nothing leaves
  ['link rel=preload as=script', `<link rel="preload" as="script" href="${FBEVENTS}">`, '', FBE, { jsOff: false }],
  ['link rel=preload as=fetch', `<link rel="preload" as="fetch" crossorigin href="https://www.google-analytics.com/g/collect?v=2">`, '', GA],
  ['link rel=modulepreload', `<link rel="modulepreload" href="${LI_SCRIPT}">`, '', LIS, { jsOff: false }],
  ['link rel=prefetch', `<link rel="prefetch" href="${GTAG}">`, '', GTAGR],
  ['link rel=prerender', `<link rel="prerender" href="https://www.facebook.com/tr?id=1234567890&amp;ev=Prerender">`, '', FB, { witness: 'dom' }],
  ['link rel=preconnect', `<link rel="preconnect" href="https://www.google-analytics.com">`, '', GA, { witness: 'dom' }],
  ['link rel=dns-prefetch', `<link rel="dns-prefetch" href="//connect.facebook.net">`, '', /connect\.facebook\.net/, { witness: 'dom' }],
  ['link rel=icon', `<link rel="icon" href="${FB_PIXEL}">`, '', FB],
  ['link rel=manifest', `<link rel="manifest" href="https://www.google-analytics.com/manifest.webmanifest">`, '', GA, { witness: 'dom' }],
  ['meta refresh', `<meta http-equiv="refresh" content="0;url=${FB_PIXEL}">`, '', FB, { restores: false }],
  ['meta refresh, quoted URL and spaces', `<meta http-equiv="Refresh" content=" 0 ; URL = '${FB_PIXEL}' ">`, '', FB, { restores: false }],
  ['a ping', '', `<p><a id="ping" href="target.html" ping="https://www.google-analytics.com/collect?v=1&amp;t=event">follow</a></p>`, GA, { needsClick: '#ping' }],
  ['area ping', '', `<img id="map" alt="" src="/leaks/none.png" usemap="#m" width="120" height="60" style="display:block;background:#ccc"><map name="m"><area id="ping" shape="rect" coords="0,0,120,60" href="target.html" ping="https://www.google-analytics.com/collect?v=1&amp;t=area" alt="follow"></map>`, GA, { needsClick: '#map' }],
  ['body background', '', '', FB, { bodyAttrs: ` background="${FB_PIXEL}"` }],
  ['table background', '', `<table background="${FB_PIXEL}" width="20" height="20"><tr><td>x</td></tr></table>`, FB],
  ['td background', '', `<table><tr><td background="${LI_PIXEL}" width="20" height="20">x</td></tr></table>`, LI],
].map(([what, head, body, expect, over = {}]) => ({
  name: `attribute: ${what}`,
  class: 'attributes',
  html: page(`attribute: ${what}`, head, body, over.bodyAttrs || ''),
  expect,
  jsOn: true,
  jsOff: true,
  restores: true,
  ...over,
}));

attributes.push({
  name: 'attribute: frameset frame src',
  class: 'attributes',
  html:
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>attribute: frameset frame src</title>\n</head>\n' +
    '<frameset cols="50%,50%">\n<frame src="target.html">\n<frame src="https://www.youtube.com/embed/dQw4w9WgXcQ">\n</frameset>\n</html>\n',
  expect: YT,
  jsOn: true,
  jsOff: true,
  // no <body>, so no banner to accept on
  restores: false,
});

const base = [
  ['base to a tracker host, relative img', `<base href="https://www.google-analytics.com/">`, `<img alt="" src="collect?v=1&amp;t=pageview">`, GA],
  ['base to a tracker host, relative script', `<base href="https://www.google-analytics.com/">`, `<script src="analytics.js"></script>`, GA, { jsOff: false }],
  ['base to a tracker host, root-relative iframe', `<base href="https://www.youtube.com/">`, `<iframe src="/embed/dQw4w9WgXcQ" title="video"></iframe>`, YT],
  ['base to a tracker host, relative stylesheet', `<base href="https://static.hotjar.com/c/">`, '', HJ, { headAfter: `<link rel="stylesheet" href="hotjar-1234567.css">` }],
  ['base to a non-tracker host, path rule gtag/js', `<base href="https://www.googletagmanager.com/">`, `<script async src="gtag/js?id=G-ABC123XYZ9"></script>`, GTAGR, { jsOff: false }],
  ['base to a non-tracker host, path rule fbevents.js', `<base href="https://connect.facebook.net/">`, `<script src="en_US/fbevents.js"></script>`, FBE, { jsOff: false }],
  ['base to a non-tracker host, path rule /tr', `<base href="https://www.facebook.com/">`, `<img alt="" src="tr?id=1234567890&amp;ev=PageView&amp;noscript=1">`, FB],
  ['base to a non-tracker host, path rule maps/embed', `<base href="https://www.google.com/">`, `<iframe src="maps/embed?pb=!1m18!1m12" title="map"></iframe>`, /google\.com\/maps\/embed/],
  ['base written with references', `<base href="https&colon;//www.google-analytics.com/">`, `<img alt="" src="collect?v=1">`, GA],
  ['base protocol-relative', `<base href="//www.google-analytics.com/">`, `<img alt="" src="collect?v=1">`, GA],
  // the first base counts; held (a tracker's host), it has no href, and
  // for the browser the next base with one is the document's
  ['held base, then a second base', `<base href="https://www.google-analytics.com/"><base href="https://www.facebook.com/">`, `<img alt="" src="tr?id=1234567890&amp;ev=PageView">`, /google-analytics\.com\/tr\?id=/],
  ['second base is ignored, first counts', `<base href="https://www.facebook.com/"><base href="/leaks/">`, `<img alt="" src="tr?id=1234567890&amp;ev=PageView">`, FB],
  // after the banner: held while anything is refused, or a choice made
  // without JavaScript would be posted to the base's host
  ['base in the body', '', `<base href="https://www.facebook.com/"><img alt="" src="tr?id=1234567890&amp;ev=PageView">`, FB],
].map(([what, head, body, expect, over = {}]) => ({
  name: `base: ${what}`,
  class: 'base',
  html: page(`base: ${what}`, head + (over.headAfter || ''), body),
  expect,
  jsOn: true,
  jsOff: true,
  restores: true,
  ...over,
}));

const srcdoc = [
  ['img', `<iframe title="doc" srcdoc="<p>inner</p><img src='https://www.facebook.com/tr?id=1234567890&amp;amp;ev=PageView'>"></iframe>`, FB, {}],
  ['img, markup escaped with references', `<iframe title="doc" srcdoc="&lt;img src=&quot;https://www.facebook.com/tr?id=1234567890&amp;amp;ev=PageView&quot;&gt;"></iframe>`, FB, {}],
  ['script', `<iframe title="doc" srcdoc="<script src='${FBEVENTS}'></script>"></iframe>`, FBE, { jsOff: false }],
  ['iframe', `<iframe title="doc" srcdoc="<iframe src='https://www.youtube.com/embed/dQw4w9WgXcQ'></iframe>"></iframe>`, YT, {}],
  ['nested srcdoc with an img', `<iframe title="doc" srcdoc="<iframe srcdoc='&lt;img src=&amp;quot;https://www.facebook.com/tr?id=2&amp;quot;&gt;'></iframe>"></iframe>`, FB, {}],
  ['stylesheet', `<iframe title="doc" srcdoc="<link rel=stylesheet href='https://static.hotjar.com/c/hotjar-1.css'>"></iframe>`, HJ, {}],
].map(([what, body, expect, over]) => ({
  name: `srcdoc: ${what}`,
  class: 'srcdoc',
  html: page(`srcdoc: ${what}`, '', body),
  expect,
  jsOn: true,
  jsOff: true,
  restores: false,
  ...over,
}));

const box = (style) => `<div style="${style}width:40px;height:20px">box</div>`;
const css = [
  ['style attribute url() unquoted', '', box(`background:url(${FB_PIXEL});`)],
  ['style attribute url() single-quoted', '', box(`background-image:url('${FB_PIXEL}');`)],
  ['style attribute url() double-quoted via &quot;', '', box(`background-image:url(&quot;${FB_PIXEL}&quot;);`)],
  ['style attribute u\\72l( escape', '', box(`background:u\\72l(${FB_PIXEL});`)],
  ['style attribute \\75 rl( escape', '', box(`background:\\75 rl(${FB_PIXEL});`)],
  ['style attribute escapes in the host', '', box(`background:url(https://www.f\\61 cebook.com/tr?id=1);`)],
  ['style attribute image-set()', '', box(`background-image:image-set('${FB_PIXEL}' 1x);`)],
  ['style attribute upper-case URL(', '', box(`BACKGROUND:URL(${FB_PIXEL});`)],
  ['style attribute list-style-image', '', `<ul><li style="list-style-image:url(${FB_PIXEL})">item</li></ul>`],
  ['style attribute border-image', '', box(`border:5px solid;border-image:url(${FB_PIXEL}) 30 round;`)],
  ['style element url()', `<style>.t{width:40px;height:20px;background:url(${FB_PIXEL})}</style>`, '<div class="t">box</div>'],
  ['style element @import string', `<style>@import "https://static.hotjar.com/c/hotjar-1.css";</style>`, '', HJ],
  ['style element @import url()', `<style>@import url(https://static.hotjar.com/c/hotjar-2.css);</style>`, '', HJ],
  ['style element @import with escapes', `<style>@\\69mport url(https://static.hotjar.com/c/hotjar-3.css);</style>`, '', HJ],
  ['style element @font-face src', `<style>@font-face{font-family:T;src:url(https://www.google-analytics.com/font.woff2) format("woff2")}.f{font-family:T}</style>`, '<p class="f">text</p>', GA],
  ['style element image-set()', `<style>.t{width:40px;height:20px;background-image:image-set(url(${FB_PIXEL}) 1x)}</style>`, '<div class="t">box</div>'],
  ['style element url() escaped', `<style>.t{width:40px;height:20px;background:\\75rl(${FB_PIXEL})}</style>`, '<div class="t">box</div>'],
  ['style element in the body', '', `<style>.t{width:40px;height:20px;background:url(${FB_PIXEL})}</style><div class="t">box</div>`],
  ['style element with a comment before url()', `<style>.t{width:40px;height:20px;background:/**/url(${FB_PIXEL})}</style>`, '<div class="t">box</div>'],
  ['SVG style attribute', '', svg(`<rect width="10" height="10" style="fill:url(${FB_PIXEL}#p)"/>`)],
].map(([what, head, body, expect = FB]) => ({
  name: `css: ${what}`,
  class: 'css',
  html: page(`css: ${what}`, head, body),
  expect,
  jsOn: true,
  jsOff: true,
  restores: false,
}));

const noscript = [
  ['img read as markup (JavaScript off)', '', `<noscript><img alt="" src="${FB_PIXEL}"></noscript>`, FB, { jsOn: false, restores: true }],
  ['iframe read as markup (JavaScript off)', '', `<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-ABCD123" height="0" width="0"></iframe></noscript>`, /googletagmanager\.com\/ns\.html/, { jsOn: false, restores: true }],
  ['stylesheet in head (JavaScript off)', `<noscript><link rel="stylesheet" href="https://static.hotjar.com/c/hotjar-1.css"></noscript>`, '', HJ, { jsOn: false, restores: true }],
  ['raw text with JavaScript on: </noscript> inside an attribute', '', `<noscript><p title="</noscript><img alt='' src='${FB_PIXEL}'>"></noscript>`, FB, { jsOff: false }],
  ['raw text with JavaScript on: </noscript> inside a comment', '', `<noscript><!-- </noscript><img alt="" src="${FB_PIXEL}"> --></noscript>`, FB, { jsOff: false }],
  ['raw text with JavaScript on: upper-case </NOSCRIPT >', '', `<noscript><p title="</NOSCRIPT ><img alt='' src='${FB_PIXEL}'>"></noscript>`, FB, { jsOff: false }],
].map(([what, head, body, expect, over]) => ({
  name: `noscript: ${what}`,
  class: 'noscript',
  html: page(`noscript: ${what}`, head, body),
  expect,
  jsOn: true,
  jsOff: true,
  restores: false,
  ...over,
}));

const inline = [
  ['createElement script, fbevents.js', `var s=document.createElement('script');s.src='${FBEVENTS}';document.head.appendChild(s);`, FBE],
  ['createElement script, gtag/js', `var s=document.createElement('script');s.async=true;s.src='${GTAG}';document.head.appendChild(s);`, GTAGR],
  ['document.write of a script tag', `document.write('<script src="${LI_SCRIPT}"><\\/script>');`, LIS],
  ['document.write of an img tag', `document.write('<img src="https://www.facebook.com/tr?id=1&ev=PageView">');`, FB],
  ['setAttribute on an img', `var i=document.createElement('img');i.setAttribute('src','https://www.facebook.com/tr?id=1&ev=PageView');document.body.appendChild(i);`, FB],
  ['createElement iframe', `var f=document.createElement('iframe');f.src='https://www.youtube.com/embed/dQw4w9WgXcQ';document.body.appendChild(f);`, YT],
].map(([what, code, expect]) => ({
  name: `inline: ${what}`,
  class: 'inline',
  html: page(`inline: ${what}`, '', `<script>${code}</script>`),
  expect,
  jsOn: true,
  jsOff: false,
  restores: true,
}));

/* Vendor snippets, written after the shape each vendor publishes. */
const GA4 =
  `<!-- Google tag (gtag.js) -->\n<script async src="${GTAG}"></script>\n<script>\n  window.dataLayer = window.dataLayer || [];\n` +
  `  function gtag(){dataLayer.push(arguments);}\n  gtag('js', new Date());\n\n  gtag('config', 'G-ABC123XYZ9');\n</script>`;
const UA =
  `<script>\n(function(i,s,o,g,r,a,m){i['GoogleAnalyticsObject']=r;i[r]=i[r]||function(){\n(i[r].q=i[r].q||[]).push(arguments)},i[r].l=1*new Date();a=s.createElement(o),\n` +
  `m=s.getElementsByTagName(o)[0];a.async=1;a.src=g;m.parentNode.insertBefore(a,m)\n})(window,document,'script','https://www.google-analytics.com/analytics.js','ga');\n\n` +
  `ga('create', 'UA-12345-1', 'auto');\nga('send', 'pageview');\n</script>`;
const GAJS =
  `<script type="text/javascript">\n  var _gaq = _gaq || [];\n  _gaq.push(['_setAccount', 'UA-12345-1']);\n  _gaq.push(['_trackPageview']);\n\n` +
  `  (function() {\n    var ga = document.createElement('script'); ga.type = 'text/javascript'; ga.async = true;\n` +
  `    ga.src = ('https:' == document.location.protocol ? 'https://ssl' : 'http://www') + '.google-analytics.com/ga.js';\n` +
  `    var s = document.getElementsByTagName('script')[0]; s.parentNode.insertBefore(ga, s);\n  })();\n</script>`;
const GTM_HEAD =
  `<!-- Google Tag Manager -->\n<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':\nnew Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],\n` +
  `j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=\n'https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);\n` +
  `})(window,document,'script','dataLayer','GTM-ABCD123');</script>\n<!-- End Google Tag Manager -->`;
const GTM_BODY =
  `<!-- Google Tag Manager (noscript) -->\n<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-ABCD123"\n` +
  `height="0" width="0" style="display:none;visibility:hidden"></iframe></noscript>\n<!-- End Google Tag Manager (noscript) -->`;
const META =
  `<!-- Meta Pixel Code -->\n<script>\n!function(f,b,e,v,n,t,s)\n{if(f.fbq)return;n=f.fbq=function(){n.callMethod?\nn.callMethod.apply(n,arguments):n.queue.push(arguments)};\n` +
  `if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';\nn.queue=[];t=b.createElement(e);t.async=!0;\nt.src=v;s=b.getElementsByTagName(e)[0];\n` +
  `s.parentNode.insertBefore(t,s)}(window, document,'script',\n'https://connect.facebook.net/en_US/fbevents.js');\nfbq('init', '1234567890');\nfbq('track', 'PageView');\n</script>\n` +
  `<noscript><img height="1" width="1" style="display:none"\nsrc="https://www.facebook.com/tr?id=1234567890&ev=PageView&noscript=1"\n/></noscript>\n<!-- End Meta Pixel Code -->`;
const LINKEDIN =
  `<script type="text/javascript">\n_linkedin_partner_id = "1234567";\nwindow._linkedin_data_partner_ids = window._linkedin_data_partner_ids || [];\n` +
  `window._linkedin_data_partner_ids.push(_linkedin_partner_id);\n</script><script type="text/javascript">\n(function(l) {\n` +
  `if (!l){window.lintrk = function(a,b){window.lintrk.q.push([a,b])};\nwindow.lintrk.q=[]}\nvar s = document.getElementsByTagName("script")[0];\n` +
  `var b = document.createElement("script");\nb.type = "text/javascript";b.async = true;\nb.src = "https://snap.licdn.com/li.lms-analytics/insight.min.js";\n` +
  `s.parentNode.insertBefore(b, s);})(window.lintrk);\n</script>\n<noscript>\n<img height="1" width="1" style="display:none;" alt="" src="https://px.ads.linkedin.com/collect/?pid=1234567&fmt=gif" />\n</noscript>`;
const MAILCHIMP_CSS = `<link href="//cdn-images.mailchimp.com/embedcode/classic-061523.css" rel="stylesheet" type="text/css">`;
const MAILCHIMP_FORM =
  `<div id="mc_embed_shell">\n<div id="mc_embed_signup">\n<form action="https://example.us21.list-manage.com/subscribe/post?u=0123456789abcdef&amp;id=abcdef0123&amp;f_id=00a1b2c3d4" method="post" id="mc-embedded-subscribe-form" name="mc-embedded-subscribe-form" class="validate" target="_self" novalidate="">\n` +
  `<div id="mc_embed_signup_scroll"><h2>Subscribe</h2>\n<div class="mc-field-group"><label for="mce-EMAIL">Email Address <span class="asterisk">*</span></label>` +
  `<input type="email" name="EMAIL" class="required email" id="mce-EMAIL" required="" value=""></div>\n` +
  `<div aria-hidden="true" style="position: absolute; left: -5000px;"><input type="text" name="b_0123456789abcdef_abcdef0123" tabindex="-1" value=""></div>\n` +
  `<div class="clear"><input type="submit" name="subscribe" id="mc-embedded-subscribe" class="button" value="Subscribe"></div>\n</div>\n</form>\n</div>\n` +
  `<script type="text/javascript" src="//s3.amazonaws.com/downloads.mailchimp.com/js/mc-validate.js"></script>` +
  `<script type="text/javascript">(function($) {window.fnames = new Array(); window.ftypes = new Array();fnames[0]='EMAIL';ftypes[0]='email';}(jQuery));var $mcj = jQuery.noConflict(true);</script></div>`;
const MAILCHIMP_CONNECTED = `<script id="mcjs">!function(c,h,i,m,p){m=c.createElement(h),p=c.getElementsByTagName(h)[0],m.async=1,m.src=i,p.parentNode.insertBefore(m,p)}(document,"script","https://chimpstatic.com/mcjs-connected/js/users/0123456789abcdef/fedcba9876543210.js");</script>`;
const HOTJAR =
  `<!-- Hotjar Tracking Code -->\n<script>\n    (function(h,o,t,j,a,r){\n        h.hj=h.hj||function(){(h.hj.q=h.hj.q||[]).push(arguments)};\n` +
  `        h._hjSettings={hjid:1234567,hjsv:6};\n        a=o.getElementsByTagName('head')[0];\n        r=o.createElement('script');r.async=1;\n` +
  `        r.src=t+h._hjSettings.hjid+j+h._hjSettings.hjsv;\n        a.appendChild(r);\n    })(window,document,'https://static.hotjar.com/c/hotjar-','.js?sv=');\n</script>`;
const TIKTOK =
  `<script>\n!function (w, d, t) {\n  w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.methods=["page","track","identify","instances","debug","on","off","once","ready","alias","group","enableCookie","disableCookie"],` +
  `ttq.setAndDefer=function(t,e){t[e]=function(){t.push([e].concat(Array.prototype.slice.call(arguments,0)))}};for(var i=0;i<ttq.methods.length;i++)ttq.setAndDefer(ttq,ttq.methods[i]);` +
  `ttq.instance=function(t){for(var e=ttq._i[t]||[],n=0;n<ttq.methods.length;n++)ttq.setAndDefer(e,ttq.methods[n]);return e},` +
  `ttq.load=function(e,n){var r="https://analytics.tiktok.com/i18n/pixel/events.js";ttq._i=ttq._i||{},ttq._i[e]=[],ttq._i[e]._u=r,ttq._t=ttq._t||{},ttq._t[e]=+new Date,ttq._o=ttq._o||{},ttq._o[e]=n||{};` +
  `var o=document.createElement("script");o.type="text/javascript",o.async=!0,o.src=r+"?sdkid="+e+"&lib="+t;var a=document.getElementsByTagName("script")[0];a.parentNode.insertBefore(o,a)};\n\n` +
  `  ttq.load('C0ABCDEFGHIJ123456789');\n  ttq.page();\n}(window, document, 'ttq');\n</script>`;
const CLARITY =
  `<script type="text/javascript">\n    (function(c,l,a,r,i,t,y){\n        c[a]=c[a]||function(){(c[a].q=c[a].q||[]).push(arguments)};\n` +
  `        t=l.createElement(r);t.async=1;t.src="https://www.clarity.ms/tag/"+i;\n        y=l.getElementsByTagName(r)[0];y.parentNode.insertBefore(t,y);\n` +
  `    })(window, document, "clarity", "script", "abcdefghij");\n</script>`;

const vendor = [
  ['GA4 gtag.js', GA4, '', GTAGR, { jsOff: false }],
  ['Universal Analytics analytics.js', UA, '', /google-analytics\.com\/analytics\.js/, { jsOff: false }],
  ['classic ga.js (_gaq)', GAJS, '', /google-analytics\.com\/ga\.js/, { jsOff: false }],
  ['Google Tag Manager script', GTM_HEAD, '', /googletagmanager\.com\/gtm\.js/, { jsOff: false }],
  ['Google Tag Manager noscript iframe', '', GTM_BODY, /googletagmanager\.com\/ns\.html/, { jsOn: false }],
  ['Meta Pixel script', META, '', FBE, { jsOff: false }],
  ['Meta Pixel noscript img', META, '', FB, { jsOn: false }],
  ['LinkedIn Insight Tag script', '', LINKEDIN, LIS, { jsOff: false }],
  ['LinkedIn Insight Tag noscript img', '', LINKEDIN, LI, { jsOn: false }],
  ['Mailchimp embedded form stylesheet', MAILCHIMP_CSS, MAILCHIMP_FORM, /cdn-images\.mailchimp\.com\//, {}],
  ['Mailchimp embedded form mc-validate.js', MAILCHIMP_CSS, MAILCHIMP_FORM, /s3\.amazonaws\.com\/downloads\.mailchimp\.com\/js\/mc-validate\.js/, { jsOff: false }],
  ['Mailchimp connected-site script', MAILCHIMP_CONNECTED, '', /chimpstatic\.com\//, { jsOff: false }],
  ['YouTube iframe', '', `<iframe width="560" height="315" src="https://www.youtube.com/embed/dQw4w9WgXcQ?si=AbCdEfGhIjKlMnOp" title="YouTube video player" frameborder="0" allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share" referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>`, YT, {}],
  ['YouTube privacy-enhanced iframe', '', `<iframe width="560" height="315" src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ" title="YouTube video player" frameborder="0" allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share" allowfullscreen></iframe>`, /youtube-nocookie\.com\/embed\//, {}],
  ['YouTube lazy iframe', '', `<iframe loading="lazy" width="560" height="315" src="https://www.youtube.com/embed/dQw4w9WgXcQ" title="YouTube video player"></iframe>`, YT, {}],
  ['Vimeo iframe and player.js', '', `<div style="padding:56.25% 0 0 0;position:relative;"><iframe src="https://player.vimeo.com/video/76979871?h=8272103f6e&amp;badge=0&amp;autopause=0&amp;player_id=0&amp;app_id=58479" frameborder="0" allow="autoplay; fullscreen; picture-in-picture; clipboard-write" style="position:absolute;top:0;left:0;width:100%;height:100%;" title="Clinic tour"></iframe></div><script src="https://player.vimeo.com/api/player.js"></script>`, /player\.vimeo\.com\//, {}],
  ['Google Maps embed iframe', '', `<iframe src="https://www.google.com/maps/embed?pb=!1m18!1m12!1m3!1d1999.0!2d10.75!3d59.91!2m3!1f0!2f0!3f0!3m2!1i1024!2i768!4f13.1!3m3!1m2!1s0x0%3A0x0!2sClinic!5e0!3m2!1sno!2sno!4v1700000000000!5m2!1sno!2sno" width="600" height="450" style="border:0;" allowfullscreen="" loading="lazy" referrerpolicy="no-referrer-when-downgrade"></iframe>`, /google\.com\/maps\/embed/, {}],
  ['Hotjar', HOTJAR, '', /static\.hotjar\.com\/c\/hotjar-/, { jsOff: false }],
  ['TikTok pixel', TIKTOK, '', /analytics\.tiktok\.com\//, { jsOff: false }],
  ['Microsoft Clarity', CLARITY, '', /clarity\.ms\/tag\//, { jsOff: false }],
].map(([what, head, body, expect, over]) => ({
  name: `vendor: ${what}`,
  class: 'vendor',
  html: page(`vendor: ${what}`, head, body),
  expect,
  jsOn: true,
  jsOff: true,
  restores: true,
  ...over,
}));

const computed = [
  ['fetch()', `fetch('https://www.google-analytics.com/g/collect?v=2&en=page_view',{mode:'no-cors'}).catch(function(){});`, GA],
  ['navigator.sendBeacon()', `navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2&en=beacon','x');`, GA],
  ['new Image().src', `new Image().src='https://www.facebook.com/tr?id=1234567890&ev=PageView';`, FB],
  ['innerHTML with a tracker img', `document.getElementById('out').innerHTML='<img src="https://www.facebook.com/tr?id=1234567890&ev=PageView">';`, FB],
  ['XMLHttpRequest', `var x=new XMLHttpRequest();x.open('GET','https://px.ads.linkedin.com/collect/?pid=1');x.send();`, LI],
  ['URL computed from pieces', `var h=['www','google'+'-'+'analytics','com'].join('.');var s=document.createElement('script');s.src='https://'+h+'/analytics.js';document.head.appendChild(s);`, /google-analytics\.com\/analytics\.js/],
  ['URL decoded at run time', `var s=document.createElement('script');s.src=atob('aHR0cHM6Ly9jb25uZWN0LmZhY2Vib29rLm5ldC9lbl9VUy9mYmV2ZW50cy5qcw==');document.head.appendChild(s);`, FBE],
].map(([what, code, expect]) => ({
  name: `computed: ${what}`,
  class: 'computed',
  html: page(`computed: ${what}`, '', `<div id="out"></div><script>${code}</script>`),
  expect,
  jsOn: true,
  jsOff: false,
  restores: true,
  todo: ENFORCE_ONLY,
}));
computed.push({
  name: 'computed: first-party stylesheet importing a tracker',
  class: 'computed',
  html: page('computed: first-party stylesheet importing a tracker', '<link rel="stylesheet" href="first-party.css">', ''),
  files: { 'first-party.css': '@import url(https://static.hotjar.com/c/hotjar-9.css);\nbody { margin: 1em; }\n' },
  expect: HJ,
  jsOn: true,
  jsOff: true,
  restores: true,
  todo: ENFORCE_ONLY,
});

const baseline = [
  ['script src', `<script src="${FBEVENTS}"></script>`, FBE, { jsOff: false }],
  ['img src', img(FB_PIXEL), FB, {}],
  ['iframe src', `<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" title="video"></iframe>`, YT, {}],
  ['inline gtag config', `<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('js',new Date());gtag('config','G-ABC123XYZ9');var s=document.createElement('script');s.src='${GTAG}';document.head.appendChild(s);</script>`, GTAGR, { jsOff: false }],
].map(([what, body, expect, over]) => ({
  name: `baseline: ${what}`,
  class: 'baseline',
  html: page(`baseline: ${what}`, '', body),
  expect,
  jsOn: true,
  jsOff: true,
  restores: true,
  ...over,
}));


// ---------------------------------------------------------------------------
// REVIEW BLOCK: leaks found by attacking the rewriter, each confirmed in
// Chromium — (a) served as written the browser makes the tracker request,
// and (b) through mod_consent with no consent it did too. The comment before
// each group says why the rewriter missed it. Most are closed now; those
// still open carry a todo naming what is missing.
// ---------------------------------------------------------------------------
const dataUrl = (type, text) => `data:${type},${encodeURIComponent(text)}`;
const FB_RAW = 'https://www.facebook.com/tr?id=1234567890&ev=PageView';
const review = [
  // A <style> in SVG or MathML content is never held or judged (only image,
  // script, use and feImage are, start_tag_named): Chromium applies it to
  // the whole document.
  ['svg style element with url()', 'css', '', svg(`<style>body{background:url(${FB_PIXEL})}</style>`), FB],
  ['svg style element with @import', 'css', '', svg(`<style>@import url(https://static.hotjar.com/c/hotjar-7.css);</style>`), HJ],
  // Declarative shadow DOM: a <template shadowrootmode> is attached as a
  // live shadow root by the parser, but nothing inside any <template> is
  // judged (mc_lex_html_context is 0 when template_depth > 0, and
  // flagged_tag_end skips it too).
  ['template shadowrootmode=open with an img', 'attributes', '', `<div><template shadowrootmode="open"><img alt="" src="${FB_PIXEL}"></template></div>`, FB],
  ['template shadowrootmode=open with a script', 'attributes', '', `<div><template shadowrootmode="open"><script src="${FBEVENTS}"></script></template></div>`, FBE, { jsOff: false }],
  ['template shadowrootmode=open with an iframe', 'attributes', '', `<div><template shadowrootmode="open"><iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" title="v"></iframe></template></div>`, YT],
  ['template shadowrootmode=closed with a stylesheet', 'attributes', '', `<div><template shadowrootmode="closed"><link rel="stylesheet" href="https://static.hotjar.com/c/hotjar-2.css"></template></div>`, HJ],
  // Where the lexer's tree once parted from the browser's (now held; class
  // 10 has more):
  // - </template> inside foreign content closes the template in the browser
  //   (the end tag reaches the HTML template through the foreign-content
  //   "any other end tag" steps).
  ['template with an svg left open, then an img', 'attributes', '', `<template><svg></template><img alt="" src="${FB_PIXEL}">`, FB],
  // - a stray HTML end tag (</div>, </span>, </b>) inside <svg> with no such
  //   element open is ignored by the browser: <xmp>, <style>, <template>
  //   are SVG elements whose <img> breaks out and loads.
  ['svg, stray end tag div, xmp hiding an img', 'attributes', '', `<svg></div><xmp><img alt="" src="${FB_PIXEL}"></xmp></svg>`, FB],
  ['svg, stray end tag span, template hiding an img', 'attributes', '', `<svg></span><template><img alt="" src="${FB_PIXEL}"></template></svg>`, FB],
  ['svg, stray end tag b, style hiding an img', 'attributes', '', `<svg></b><style><img alt="" src="${FB_PIXEL}"></style></svg>`, FB],
  // - <font> with color, face or size breaks out of foreign content: the
  //   iframe is an HTML one.
  ['svg, font color breakout, iframe', 'attributes', '', `<svg><font color="red"><iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" title="v"></iframe></font></svg>`, YT],
  // - <annotation-xml encoding="text/html"> is an HTML integration point:
  //   the iframe is an HTML one.
  ['math annotation-xml text/html, iframe', 'attributes', '', `<math><annotation-xml encoding="text/html"><iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" title="v"></iframe></annotation-xml></math>`, YT],
  // - <svg> inside <math> is a MathML element named svg, not an SVG root:
  //   its <desc> is no integration point, so <xmp> is no raw text there.
  ['math svg desc, xmp hiding an img', 'attributes', '', `<math><svg><desc><xmp><img alt="" src="${FB_PIXEL}"></xmp></desc></svg></math>`, FB],
  // Chromium's preload scanner reads <link>, <input type=image> and <base>
  // by name, inside <svg> and <math> too; the rewriter leaves foreign
  // elements other than image/script/use/feImage alone.
  ['svg link rel=stylesheet (preload scanner)', 'attributes', '', svg(`<link rel="stylesheet" href="https://static.hotjar.com/c/hotjar-4.css"/>`), HJ],
  ['math link rel=stylesheet (preload scanner)', 'attributes', '', `<math><link rel="stylesheet" href="https://static.hotjar.com/c/hotjar-3.css"/></math>`, HJ],
  ['svg link rel=preload as=script (preload scanner)', 'attributes', '', svg(`<link rel="preload" as="script" href="${FBEVENTS}"/>`), FBE, { jsOff: false }],
  ['svg link rel=modulepreload (preload scanner)', 'attributes', '', svg(`<link rel="modulepreload" href="${LI_SCRIPT}"/>`), LIS, { jsOff: false }],
  ['svg input type=image (preload scanner)', 'attributes', '', svg(`<input type="image" src="${FB_PIXEL}"/>`), FB],
  ['svg base, then a relative img (preload scanner)', 'base', '', svg(`<base href="https://www.facebook.com/"/>`) + `<img alt="" src="tr?id=1234567890&amp;ev=PageView">`, FB],
  // A <style> whose type is not CSS is not judged (style_applies), but the
  // preload scanner fetches its @import whatever the type.
  ['style type=text/plain with @import (preload scanner)', 'css', `<style type="text/plain">@import url(https://static.hotjar.com/c/hotjar-8.css);</style>`, '', HJ],
  // A <base href> longer than BASE_MAX (2048) is not followed: relative URLs
  // after it are judged as first-party, the browser resolves them against it.
  ['base href over 2048 bytes', 'base', `<base href="https://www.facebook.com/#${'a'.repeat(2100)}">`, `<img alt="" src="tr?id=1234567890&amp;ev=PageView">`, FB],
  // With JavaScript on, <noscript> content is text; the rewriter reads it as
  // markup, takes its <base> as the document's first and ignores the real
  // first <base> after it.
  ['noscript base (JavaScript on), then a base to a tracker host', 'noscript', `<noscript><base href="/leaks/"></noscript><base href="https://www.facebook.com/">`, `<img alt="" src="tr?id=1234567890&amp;ev=PageView">`, FB, { jsOff: false }],
  // data: URLs carry whole documents and sheets, which are not looked into
  // (srcdoc is; these are the same thing by another door).
  ['iframe src data:text/html', 'attributes', '', `<iframe title="d" src="${dataUrl('text/html', `<img src="${FB_RAW}">`)}"></iframe>`, FB],
  ['iframe src data:text/html;base64', 'attributes', '', `<iframe title="d" src="data:text/html;base64,${Buffer.from(`<img src="${FB_RAW}">`).toString('base64')}"></iframe>`, FB],
  ['object data data:text/html', 'attributes', '', `<object type="text/html" data="${dataUrl('text/html', `<img src="${FB_RAW}">`)}" width="20" height="20"></object>`, FB],
  ['embed src data:text/html', 'attributes', '', `<embed type="text/html" src="${dataUrl('text/html', `<img src="${FB_RAW}">`)}" width="20" height="20">`, FB],
  ['link rel=stylesheet data:text/css with @import', 'css', `<link rel="stylesheet" href="${dataUrl('text/css', '@import url(https://static.hotjar.com/c/hotjar-5.css);')}">`, '', HJ],
  ['style @import of a data:text/css with @import', 'css', `<style>@import url("${dataUrl('text/css', '@import url(https://static.hotjar.com/c/hotjar-6.css);')}");</style>`, '', HJ],
  // A javascript: URL in a frame runs and its result is the frame's document.
  ['iframe src javascript: returning markup', 'inline', '', `<iframe title="j" src="javascript:'&lt;img src=https://www.facebook.com/tr?id=1&gt;'"></iframe>`, FB, { jsOff: false }],
  // SVG presentation attributes take url() like the style properties they
  // map to; only style= is judged.
  ['svg fill attribute url()', 'css', '', svg(`<rect width="10" height="10" fill="url(${FB_PIXEL}#p)"/>`), FB],
  ['svg filter attribute url()', 'css', '', svg(`<rect width="10" height="10" filter="url(${FB_PIXEL}#f)"/>`), FB],
  ['svg mask attribute url()', 'css', '', svg(`<rect width="10" height="10" mask="url(${FB_PIXEL}#m)"/>`), FB],
  ['svg cursor attribute url()', 'css', '', svg(`<rect width="10" height="10" cursor="url(${FB_PIXEL}), auto"/>`), FB],
  // SMIL animation sets an <image>'s href after the rewriter judged it.
  // What it sets is judged as what the attribute takes; once granted the
  // page loads anew, where the animation runs. (Chromium fetches no paint
  // server an animation sets: fill="url(...)" is judged all the same.)
  ['svg set animating an image href', 'attributes', '', svg(`<image width="10" height="10"><set attributeName="href" to="${FB_PIXEL}"/></image>`), FB, { restores: true }],
  ['svg animate animating an image href', 'attributes', '', svg(`<image width="10" height="10"><animate attributeName="href" values="${FB_PIXEL};/leaks/none.png" dur="1s"/></image>`), FB, { restores: true }],
  ['svg animate animating an image xlink:href, upper case', 'attributes', '', svg(`<image width="10" height="10"><SET ATTRIBUTENAME="xlink:href" TO="${GA_PIXEL}"/></image>`), GA, { restores: true }],
  // Scripts of a type the rewriter thinks inert (javascript_type) that make
  // the browser fetch: an import map resolving a bare name an inline module
  // imports, speculation rules.
  ['importmap maps a bare name to a tracker, module imports it', 'inline', '', `<script type="importmap">{"imports":{"fbq":"${FBEVENTS}"}}</script><script type="module">import "fbq";</script>`, FBE, { jsOff: false }],
  ['speculationrules prefetch of a tracker URL', 'inline', '', `<script type="speculationrules">{"prefetch":[{"source":"list","urls":["https://www.facebook.com/tr?id=1&ev=Spec"],"eagerness":"immediate"}]}</script>`, FB, { jsOff: false }],
  ['speculationrules prerender of a tracker URL', 'inline', '', `<script type="speculationrules">{"prerender":[{"source":"list","urls":["https://www.facebook.com/tr?id=1&ev=Spec"],"eagerness":"immediate"}]}</script>`, FB, { jsOff: false }],
  // An event-handler attribute is an inline script: one naming a tracker is
  // held (data-consent-on...); one of an event that fires unasked brings a
  // reload once granted, where it fires again.
  ['onerror handler with a literal tracker URL', 'inline', '', `<img alt="" src="/leaks/none.png" onerror="navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2&amp;en=x','x')">`, GA, { jsOff: false, restores: true }],
  ['body onload handler with a tracker URL', 'inline', '', '', GA, { jsOff: false, restores: true, html: page('review: body onload handler with a tracker URL', '', '<p>x</p>', ` onload="navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2&amp;en=load','x')"`) }],
  ['svg onload handler', 'inline', '', svg('<rect width="10" height="10"/>').replace('<svg ', `<svg onload="fetch('https://www.google-analytics.com/g/collect?v=2',{mode:'no-cors'})" `), GA, { jsOff: false, restores: true }],
  ['details ontoggle, unquoted, upper case', 'inline', '', `<details open ONTOGGLE=new&#x20;Image().src='${FB_RAW}'><summary>s</summary>x</details>`, FB, { jsOff: false, restores: true }],
  ['onload handler with the URL in character references', 'inline', '', `<img alt="" src="/leaks/none.png" onerror="new Image().src='https:&#x2F;&#x2F;www.facebook.com&#47;tr?id=1234567890&amp;ev=PageView'">`, FB, { jsOff: false, restores: true }],
  ['style onload handler with a tracker URL', 'inline', '', `<style onload="navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2&amp;en=style','x')">.own{color:#123}</style>`, GA, { jsOff: false, restores: true }],
  ['style with a tracker @import and an onerror handler', 'inline', '', `<style onerror="navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2&amp;en=style2','x')">@import url(https://static.hotjar.com/c/hotjar-10.css);</style>`, GA, { jsOff: false, restores: true }],
  ['style over 64 KiB with an onload handler', 'inline', '', `<style onload="navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2&amp;en=style3','x')">${'.own{color:#123}\n'.repeat(5000)}</style>`, GA, { jsOff: false, restores: true }],
  ['script of the site whose onerror names a tracker', 'inline', '', `<script src="/leaks/none.js" onerror="new Image().src='${FB_RAW}'"></script>`, FB, { jsOff: false, restores: true }],
  // Over a cap (issue 16, item 3): a start tag over 16 KiB, an inline
  // script over 64 KiB. They cannot be read whole, so they fail closed:
  // held back whole for every category until the visitor accepts all.
  ['script tag over 16 KiB, src after the cut', 'attributes', `<script data-x="${'a'.repeat(16 * 1024)}" type="text/javascript" src="${FBEVENTS}"></script>`, '', FBE, { restores: true, jsOff: false }],
  ['img tag over 16 KiB, src after the cut', 'attributes', '', `<img alt="${'a'.repeat(16 * 1024)}" src="${FB_PIXEL}">`, FB, { restores: true }],
  // A tag no rule reports (a <div>, an <a>, an <svg>) over 16 KiB is read
  // attribute by attribute as it streams: what may fetch is judged where it
  // stands, before the cut or after it.
  ['div tag over 16 KiB, style after the cut', 'css', '', `<div data-x="${'a'.repeat(16 * 1024)}" style="width:40px;height:20px;background:url(${FB_PIXEL})">box</div>`, FB, { restores: true }],
  ['div tag over 16 KiB, style before the cut', 'css', '', `<div style="width:40px;height:20px;background:url(${FB_PIXEL})" data-x="${'a'.repeat(16 * 1024)}">box</div>`, FB, { restores: true }],
  ['link over 16 KiB, ping after the cut', 'attributes', '', `<p><a id="ping" href="target.html" title="${'a'.repeat(16 * 1024)}" ping="https://www.google-analytics.com/collect?v=1&amp;t=long">follow</a></p>`, GA, { needsClick: '#ping', restores: true }],
  ['svg over 16 KiB, onload handler after the cut', 'inline', '', `<svg width="10" height="10" data-x="${'a'.repeat(16 * 1024)}" onload="new Image().src='${FB_RAW}'"><rect width="10" height="10"/></svg>`, FB, { jsOff: false, restores: true }],
  ['inline script over 64 KiB', 'inline', '', `<script>var s=document.createElement('script');s.src='${FBEVENTS}';document.head.appendChild(s);/*${' '.repeat(64 * 1024)}*/</script>`, FBE, { restores: true, jsOff: false }],
  // An inline sheet over 64 KiB streams through the CSS reader (its
  // trackers disarmed as they pass); a token it cannot hold that may fetch
  // ends the sheet, the rest inert in a template. consent.js reloads the
  // page once what was disarmed is granted.
  ['inline style over 64 KiB', 'css', `<style>/*${'x'.repeat(70000)}*/ .t{width:40px;height:20px;background:url(${FB_PIXEL})}</style>`, '<div class="t">box</div>', FB, { restores: true }],
  ['inline style over 64 KiB of rules, the tracker after them', 'css', `<style>${'.own{color:#123;margin:1px}\n'.repeat(2600)} .t{width:40px;height:20px;background:url(${FB_PIXEL})}</style>`, '<div class="t">box</div>', FB, { restores: true }],
  ['inline style over 64 KiB, a string longer than the reader holds, then the tracker', 'css', `<style>${'.own{color:#123;margin:1px}\n'.repeat(100)}:root{--pad:"${'x'.repeat(70000)}"} .t{width:40px;height:20px;background:url(${FB_PIXEL})}</style>`, '<div class="t">box</div>', FB, { restores: true }],
  ['url in a sheet too long to read whole (over 32 KiB)', 'css', `<style>.t{width:40px;height:20px;background:url(${FB_PIXEL}&amp;pad=${'a'.repeat(40000)})}</style>`, '<div class="t">box</div>', FB, { restores: true }],
  ['svg style over 64 KiB', 'css', '', svg(`<style>${'.own{fill:#123}\n'.repeat(5000)} .t{width:40px;height:20px;background:url(${FB_PIXEL})}</style>`) + '<div class="t">box</div>', FB, { restores: true }],
  // An SVG <style> or <script> is the text of its own children (child text
  // content): a child element does not end it, and the text after that
  // child is part of the sheet or the script the browser runs.
  ['svg style, a child element, then @import', 'css', '', svg(`<style><rect fill="red"/>@import url(https://static.hotjar.com/c/hotjar-8.css);</style>`), HJ, { restores: true }],
  ['svg style, a child image, then url()', 'css', '', svg(`<style><image href="/leaks/none.png"/>body{background:url(${FB_PIXEL})}</style>`), FB, { restores: true }],
  ['svg script, a child element, then the tracker', 'inline', '', svg(`<script><rect fill="red"/>var s=document.createElement('script');s.src='${FBEVENTS}';document.head.appendChild(s);</script>`), FBE, { restores: true, jsOff: false }],
  ['svg script, the tracker URL split by a child element', 'inline', '', svg(`<script>new Image().src='https://www.face<rect fill="red"/>book.com/tr?id=1234567890&amp;ev=PageView';</script>`), FB, { restores: true, jsOff: false }],
  ['svg script, the tracker URL split by a comment', 'inline', '', svg(`<script>new Image().src='https://www.face<!-- x -->book.com/tr?id=1234567890&amp;ev=PageView';</script>`), FB, { restores: true, jsOff: false }],
  ['a style that may be SVG or HTML, its rule inside a child element', 'css', '', `<div><svg></div><style><g>x{} .t{width:40px;height:20px;background:url(${FB_PIXEL})}</g></style><div class="t">box</div>`, FB, { restores: true }],
  // Inside a child whose content is HTML (foreignObject, desc, title; mi, mo, ...)
  // the HTML rules hold: the text after it is still the script's.
  ['svg script, an HTML element inside foreignObject, then the tracker', 'inline', '', svg(`<script><foreignObject><img alt="" src="/leaks/none.png"></foreignObject>new Image().src='${FB_RAW}';</script>`), FB, { restores: true, jsOff: false }],
  ['svg script, an end tag the HTML inside foreignObject ignores, then the tracker', 'inline', '', svg(`<script><foreignObject><div></script></div></foreignObject>new Image().src='${FB_RAW}';</script>`), FB, { restores: true, jsOff: false }],
  ['svg style onerror handler', 'inline', '', svg(`<style onerror="new Image().src='${FB_RAW}'">@import '/leaks/none.css';</style>`), FB, { restores: true, jsOff: false }],
  ['svg style, the @import URL split by a child element', 'css', '', svg(`<style>@import url(https://static.hot<g>x</g>jar.com/c/hotjar-9.css);</style>`), HJ],
  ['style left open at the end of the document', 'css', '', '<div class="t">box</div>', FB, { restores: true, html: page('review: style left open at the end of the document', '', '<div class="t">box</div>') + `<style>.t{width:40px;height:20px;background:url(${FB_PIXEL})}` }],
].map(([what, cls, head, body, expect, over = {}]) => ({
  name: `review: ${what}`,
  class: cls,
  html: page(`review: ${what}`, head, body),
  expect,
  jsOn: true,
  jsOff: true,
  restores: false,
  ...over,
}));
// --------------------------------------------------------- end of review block


// Class 10 (issue 16, item 4): where the HTML parser reads a tag as HTML,
// SVG or MathML, raw text or markup. Chromium is the judge of what a tag is;
// the HTML standard's tree construction rules say why.
const IFRAME_YT = `<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" title="v"></iframe>`;
const SCRIPT_FBE = `<script src="${FBEVENTS}"></script>`;
const IMG_FB = `<img alt="" src="${FB_PIXEL}">`;
const NO_JS_OFF = { jsOff: false };
const contexts = [
  // <font> with color, face or size breaks out of foreign content
  ['svg, font color, script', '', `<svg><font color="red">${SCRIPT_FBE}</font></svg>`, FBE, NO_JS_OFF],
  ['svg, font face, iframe', '', `<svg><font face="serif">${IFRAME_YT}</font></svg>`, YT],
  ['svg, font size, iframe', '', `<svg><font size="2">${IFRAME_YT}</font></svg>`, YT],
  ['math, font color, script', '', `<math><font color="red">${SCRIPT_FBE}</font></math>`, FBE, NO_JS_OFF],
  ['upper case SVG FONT COLOR IFRAME', '', `<SVG><FONT COLOR="red"><IFRAME SRC="https://www.youtube.com/embed/dQw4w9WgXcQ" TITLE="v"></IFRAME></FONT></SVG>`, YT],
  ['svg, font without those, style hiding nothing from a breakout img', '', `<svg><font><style>${IMG_FB}</style></font></svg>`, FB],
  // the other breakout tags
  ['svg, span breakout, iframe', '', `<svg><span>${IFRAME_YT}</span></svg>`, YT],
  ['math, table breakout, script', '', `<math><table><tr><td>${SCRIPT_FBE}</td></tr></table></math>`, FBE, NO_JS_OFF],
  ['svg, end tag p breaks out, iframe', '', `<svg></p>${IFRAME_YT}</svg>`, YT],
  ['svg, end tag br breaks out, script', '', `<svg></br>${SCRIPT_FBE}</svg>`, FBE, NO_JS_OFF],
  // HTML integration points
  ['math annotation-xml text/html, script', '', `<math><annotation-xml encoding="text/html">${SCRIPT_FBE}</annotation-xml></math>`, FBE, NO_JS_OFF],
  ['math annotation-xml application/xhtml+xml in mixed case, iframe', '', `<math><annotation-xml encoding="Application/XHTML+XML">${IFRAME_YT}</annotation-xml></math>`, YT],
  ['math annotation-xml encoding with a reference, iframe', '', `<math><annotation-xml encoding="text&sol;html">${IFRAME_YT}</annotation-xml></math>`, YT],
  ['svg foreignObject, script', '', `<svg><foreignObject width="10" height="10">${SCRIPT_FBE}</foreignObject></svg>`, FBE, NO_JS_OFF],
  ['svg desc, iframe', '', `<svg><desc>${IFRAME_YT}</desc></svg>`, YT],
  ['svg title, script', '', `<svg><title>${SCRIPT_FBE}</title></svg>`, FBE, NO_JS_OFF],
  // MathML text integration points; <mglyph> stays MathML there
  ['math mi, iframe', '', `<math><mi>${IFRAME_YT}</mi></math>`, YT],
  ['math mtext, script', '', `<math><mtext>${SCRIPT_FBE}</mtext></math>`, FBE, NO_JS_OFF],
  ['math mi mglyph, style hiding nothing from a breakout img', '', `<math><mi><mglyph><style>${IMG_FB}</style></mglyph></mi></math>`, FB],
  // nesting: an SVG <script href> inside HTML inside MathML or SVG fetches
  ['math mi svg script href', '', `<math><mi><svg><script href="${FBEVENTS}"></script></svg></mi></math>`, FBE, NO_JS_OFF],
  ['svg desc svg script href', '', `<svg><desc><svg><script href="${FBEVENTS}"></script></svg></desc></svg>`, FBE, NO_JS_OFF],
  ['svg in math in svg, desc, iframe', '', `<svg><foreignObject><math><mi><svg><desc>${IFRAME_YT}</desc></svg></mi></math></foreignObject></svg>`, YT],
  // end tags
  ['svg desc, end tag svg, iframe', '', `<svg><desc></svg>${IFRAME_YT}`, YT],
  ['svg g desc, end tag g, style hiding nothing from a breakout img', '', `<svg><g><desc></g><style>${IMG_FB}</style></svg>`, FB],
  ['self-closing svg, then iframe', '', `<svg/>${IFRAME_YT}`, YT],
  ['svg desc, div open, end tag desc ignored, iframe', '', `<svg><desc><div></desc>${IFRAME_YT}</div></desc></svg>`, YT],
  ['svg foreignObject, p, stray end tag div, end tag foreignObject ignored, iframe', '', `<svg><foreignObject><p></div></foreignObject>${IFRAME_YT}</svg>`, YT],
  ['div, svg left open, end tag div, script', '', `<div><svg></div>${SCRIPT_FBE}`, FBE, NO_JS_OFF],
  ['div, svg left open, end tag div, iframe', '', `<div><svg></div>${IFRAME_YT}`, YT],
  ['table, svg, desc, iframe', '', `<table><svg><desc>${IFRAME_YT}</desc></svg></table>`, YT],
  // raw text ends at its own end tag, whatever looks like foreign content in it
  ['textarea holding svg, then iframe', '', `<textarea><svg></textarea>${IFRAME_YT}`, YT],
  ['title holding math, then script', '', `<p><title><math></title>${SCRIPT_FBE}`, FBE, NO_JS_OFF],
  ['xmp holding svg, then iframe', '', `<xmp><svg></xmp>${IFRAME_YT}`, YT],
  ['iframe holding svg, then iframe', '', `<iframe title="e"><svg></iframe>${IFRAME_YT}`, YT],
  ['noembed holding svg, then iframe', '', `<noembed><svg></noembed>${IFRAME_YT}`, YT],
  ['noframes: end tag inside an attribute', '', `<noframes><p title="</noframes>${IMG_FB.replace(/"/g, "'")}"></noframes>`, FB],
  // comments and CDATA
  ['CDATA in HTML is a bogus comment to the first >', '', `<![CDATA[>${IFRAME_YT}]]>`, YT],
  ['CDATA inside HTML inside svg desc is a bogus comment', '', `<svg><desc><b><![CDATA[>${IFRAME_YT}]]></b></desc></svg>`, YT],
  ['svg, abrupt comment, breakout img', '', `<svg><!-->${IMG_FB}--></svg>`, FB],
  ['div, svg left open, end tag div, CDATA is a bogus comment', '', `<div><svg></div><![CDATA[>${IFRAME_YT}]]>`, YT],
  ['svg desc, b left open by a stray end tag i, CDATA is a bogus comment', '', `<svg><desc><b></i><![CDATA[>${IFRAME_YT}]]></b></desc></svg>`, YT],
  ['svg foreignObject svg, end tag foreignObject, style hiding nothing from a breakout img', '', `<svg><foreignObject><svg></foreignObject><style>${IMG_FB}</style></svg>`, FB],
  // <select> takes foreign content as a body does (Chromium's relaxed select
  // parsing): an SVG <script src> there fetches nothing, its href does
  ['select svg script href', '', `<select><svg><script href="${FBEVENTS}"></script></svg></select>`, FBE, NO_JS_OFF],
  ['select svg font color iframe', '', `<select><svg><font color="red">${IFRAME_YT}</font></svg></select>`, YT],
  // a declarative shadow root is live: so is foreign content in it (what is
  // neutralised inside a shadow root is not restored: consent.js does not
  // look into shadow roots, as with the review block's shadow-root pages)
  ['shadow root, svg, font color, iframe', '', `<div><template shadowrootmode="open"><svg><font color="red">${IFRAME_YT}</font></svg></template></div>`, YT, { restores: false }],
  // noscript, scripting on: raw text to the first </noscript
  ['noscript: end tag inside an attribute, then script (JavaScript on)', '', `<noscript><p title="</noscript><script src='${FBEVENTS}'></script>"></noscript>`, FBE, { jsOff: false, restores: false }],
  ['div, svg left open, end tag div, noscript: end tag inside an attribute (JavaScript on)', '', `<div><svg></div><noscript><p title="</noscript>${IMG_FB.replace(/"/g, "'")}"></noscript>`, FB, { jsOff: false, restores: false }],
  ['div, svg left open, end tag div, xmp: end tag inside an attribute', '', `<div><svg></div><xmp><p title="</xmp>${IMG_FB.replace(/"/g, "'")}"></xmp>`, FB, { restores: false }],
  ['div, svg left open, end tag div, script: end tag inside an attribute', '', `<div><svg></div><script>var a;<g title="</script>${IMG_FB.replace(/"/g, "'")}"></g></script>`, FB, { restores: false }],
  ['noscript holding svg, end tag noscript, then iframe', '', `<noscript><svg></noscript>${IFRAME_YT}`, YT],
].map(([what, head, body, expect, over = {}]) => ({
  name: `context: ${what}`,
  class: 'contexts',
  html: page(`context: ${what}`, head, body),
  expect,
  jsOn: true,
  jsOff: true,
  restores: true,
  ...over,
}));

// <frameset>: frames fetch as iframes do; no <body>, no banner to accept on
const framesetPage = (title, markup) => ({
  name: `context: ${title}`,
  class: 'contexts',
  html: markup,
  expect: YT,
  jsOn: true,
  jsOff: true,
  restores: false,
});
contexts.push(
  framesetPage('frameset with no head', '<!doctype html>\n<frameset cols="50%,50%"><frame src="target.html"><FRAME SRC="https://www.youtube.com/embed/dQw4w9WgXcQ"></frameset>\n'),
  framesetPage('frameset after a head with no body, nested', '<!doctype html>\n<html lang="en"><head><title>f</title></head>\n<frameset rows="50%,50%"><frameset cols="50%,50%"><frame src="target.html"><frame src="https://www.youtube.com/embed/dQw4w9WgXcQ"></frameset><frame src="target.html"></frameset>\n<noframes><p>no frames</p></noframes>\n</html>\n'),
  framesetPage('frameset, an svg (ignored) around a frame', '<!doctype html>\n<html lang="en"><head><title>f</title></head>\n<frameset cols="100%"><svg><frame src="https://www.youtube.com/embed/dQw4w9WgXcQ"></svg></frameset>\n</html>\n'),
  framesetPage('frameset, noframes with an end tag in an attribute', '<!doctype html>\n<html lang="en"><head><title>f</title></head>\n<frameset cols="100%"><frame src="https://www.youtube.com/embed/dQw4w9WgXcQ"><noframes><p title="</noframes>">x</p></noframes></frameset>\n</html>\n'),
);

export const CORPUS = [...baseline, ...decoding, ...attributes, ...base, ...srcdoc, ...css, ...noscript, ...inline, ...vendor, ...computed, ...review, ...contexts];
