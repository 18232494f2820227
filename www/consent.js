/* consent.js: enhances mod_consent's banner, a plain form without it. A
 * choice is posted as JSON, the banner closes, and what the server held
 * back is activated in document order. */
(() => {
  'use strict';

  const me = document.currentScript;
  const attr = (n) => (me && me.getAttribute(n)) || '';
  /* against the page's own URL: a <base> elsewhere must not take the
   * visitor's choice to another host */
  const base = new URL(attr('data-base') || '/_consent', location.href).href.replace(/\/$/, '');
  /* what the server grants this visitor now; changes with each decision */
  let allowed = (attr('data-granted') || 'necessary').split(/\s+/);
  /* services granted on their own, beyond those categories (ids) */
  let services = attr('data-services').split(/\s+/).filter(Boolean);
  let bypass = 0; /* set while activating what was held back */

  /* ConsentCSP Enforce: the page's Content-Security-Policy was made for
   * what was granted when it was served. A choice granting one of the
   * categories in data-csp-reload needs hosts that policy does not allow;
   * only a new page load brings the new policy, so the page reloads once
   * (the browser keeps the scroll position). */
  const cspReload = attr('data-csp-reload').split(/\s+/).filter(Boolean);
  const needsNewPolicy = (granted) => cspReload.some((c) => granted.includes(c));

  /* Google Consent Mode v2 (ConsentGoogleConsentMode On): everything
   * denied before any Google tag runs, then what the visitor grants. The
   * server lets a tag with a statistics id (G-) load on statistics consent
   * alone, so the ads signals must be denied before gtag.js reads its
   * first config, in both orders the page may give:
   *   - consent.js first (it is a plain script at the top of <head>): the
   *     commands go onto dataLayer before the page's snippet adds its own;
   *   - the page's snippet first (markup before <head>, a tag the server
   *     passed as it was): gtag.js, loading async, has not read dataLayer
   *     yet (its push is still the array's own), so the commands go in
   *     FRONT of what is there.
   * With ads storage denied, ads_data_redaction drops ad click ids from
   * what is sent, as Google documents; url_passthrough stays off: it would
   * carry ad click ids from page to page without consent.
   * The signals follow the categories only: a service allowed on its own
   * (YouTube, Google Maps) does not grant ad_storage or analytics_storage,
   * since those speak for Google's advertising and measurement tags, which
   * the visitor did not allow by watching one video. */
  const GCM = {
    statistics: ['analytics_storage'],
    marketing: ['ad_storage', 'ad_user_data', 'ad_personalization'],
    preferences: ['functionality_storage', 'personalization_storage'],
  };
  const gcm = attr('data-gcm') === '1';
  /* gtag's own form of a command: an arguments object */
  const command = function () {
    return arguments;
  };
  function gcmSignals(cats) {
    const o = {};
    for (const c in GCM) for (const k of GCM[c]) o[k] = cats.includes(c) ? 'granted' : 'denied';
    return o;
  }
  function gcmUpdate(cats) {
    try {
      window.gtag('consent', 'update', gcmSignals(cats));
      window.gtag('set', 'ads_data_redaction', !cats.includes('marketing'));
    } catch {
      /* the page's own gtag failed: the choice still applies */
    }
  }
  if (gcm) {
    const dl = (window.dataLayer = window.dataLayer || []);
    const first = [
      command('consent', 'default', {
        ad_storage: 'denied',
        ad_user_data: 'denied',
        ad_personalization: 'denied',
        analytics_storage: 'denied',
        functionality_storage: 'denied',
        personalization_storage: 'denied',
        security_storage: 'granted',
        wait_for_update: 500,
      }),
    ];
    if (Object.keys(GCM).some((c) => allowed.includes(c))) first.push(command('consent', 'update', gcmSignals(allowed)));
    first.push(command('set', 'ads_data_redaction', !allowed.includes('marketing')));
    try {
      if (Array.isArray(dl) && dl.push === Array.prototype.push) dl.unshift(...first);
      else for (const c of first) dl.push(c);
    } catch {
      /* a dataLayer that is no array: the page's own, not ours to fix */
    }
    if (typeof window.gtag !== 'function') {
      window.gtag = function gtag() {
        window.dataLayer.push(arguments);
      };
    }
  }

  /* The guard: scripts, iframes and images other code adds later (tag
   * managers, app bundles) are held back like the server holds back those
   * of the page, when a rule of rules.js (window.mcRules: category ->
   * ["host", "host/pathglob"]) of a category not granted matches. It never
   * throws: on any doubt the original method runs unchanged. */
  const TAGS = /^(script|iframe|img)$/;
  const passed = new WeakSet(); /* turned on by us: never held again */
  const setAttr = Element.prototype.setAttribute;
  let compiled = null;
  const glob = (g) => g.replace(/[.+^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');

  /* The category of URL when a rule of a refused category (and not of a
   * service granted on its own) matches; null otherwise. */
  function categoryOf(url) {
    const u = new URL(url, document.baseURI);
    if (!/^https?:$/.test(u.protocol) || u.origin === location.origin) return null;
    if (!compiled) {
      compiled = [];
      const m = window.mcRules || {};
      const byService = window.mcServices || {};
      for (const cat of Object.keys(m)) {
        for (const p of m[cat]) {
          const i = p.indexOf('/');
          compiled.push([
            cat,
            new RegExp('^(.*\\.)?' + glob(i < 0 ? p : p.slice(0, i)) + '$'),
            i < 0 ? null : new RegExp('^' + glob(p.slice(i + 1)) + '$'),
            Object.prototype.hasOwnProperty.call(byService, p) ? byService[p] : null,
          ]);
        }
      }
    }
    const host = u.hostname.replace(/\.$/, '');
    const rest = u.pathname.slice(1) + u.search;
    for (const [cat, h, p, service] of compiled) {
      if (allowed.includes(cat) || (service && services.includes(service))) continue;
      if (h.test(host) && (!p || p.test(rest))) return cat;
    }
    return null;
  }

  /* Neutralises EL, about to load URL, as the server would; true if held. */
  function hold(el, url) {
    if (bypass) passed.add(el);
    if (bypass || passed.has(el) || !TAGS.test(el.localName) || el.namespaceURI !== 'http://www.w3.org/1999/xhtml') {
      return false;
    }
    const cat = url && categoryOf(String(url));
    if (!cat) return false;
    setAttr.call(el, 'data-consent', cat);
    setAttr.call(el, 'data-consent-src', String(url));
    if (el.localName === 'script') {
      const t = el.getAttribute('type');
      if (t !== null) setAttr.call(el, 'data-consent-type', t);
      setAttr.call(el, 'type', 'text/plain');
    }
    if (el.hasAttribute('srcset')) {
      setAttr.call(el, 'data-consent-srcset', el.getAttribute('srcset'));
      el.removeAttribute('srcset');
    }
    el.removeAttribute('src');
    return true;
  }

  function guard(n) {
    try {
      if (bypass || !n || !n.querySelectorAll) return;
      if (n.nodeType === 1) hold(n, n.getAttribute('src'));
      for (const e of n.querySelectorAll('script[src],iframe[src],img[src]')) hold(e, e.getAttribute('src'));
    } catch {
      /* let it through */
    }
  }

  function wrap(proto, name, first) {
    const orig = proto[name];
    if (typeof orig !== 'function') return;
    proto[name] = function (...args) {
      for (const a of first < 0 ? args : [args[first]]) guard(a);
      return orig.apply(this, args);
    };
  }

  function install() {
    for (const n of ['appendChild', 'insertBefore', 'replaceChild']) wrap(Node.prototype, n, 0);
    for (const n of ['append', 'prepend', 'before', 'after', 'replaceWith']) wrap(Element.prototype, n, -1);
    wrap(Element.prototype, 'insertAdjacentElement', 1);
    Element.prototype.setAttribute = function (name, value) {
      try {
        if (String(name).toLowerCase() === 'src' && hold(this, value)) return undefined;
      } catch {
        /* let it through */
      }
      return setAttr.call(this, name, value);
    };
    for (const C of [window.HTMLScriptElement, window.HTMLIFrameElement, window.HTMLImageElement]) {
      const d = C && Object.getOwnPropertyDescriptor(C.prototype, 'src');
      if (!d || !d.set || !d.configurable) continue;
      Object.defineProperty(C.prototype, 'src', {
        ...d,
        set(v) {
          try {
            if (hold(this, v)) return;
          } catch {
            /* let it through */
          }
          d.set.call(this, v);
        },
      });
    }
    /* second line, for what the wrappers miss (innerHTML, setAttributeNS):
     * a fetch already started goes on, a later one is held */
    new MutationObserver((list) => {
      for (const m of list) {
        if (m.type === 'attributes') guard(m.target);
        else if (document.readyState !== 'loading') for (const n of m.addedNodes) guard(n);
      }
    }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['src'] });
  }

  try {
    install();
  } catch {
    /* an odd browser: the server's own holding still works */
  }

  /* Event handlers the server held back (their scripts name a tracker):
   * data-consent-onclick and the like. */
  const HANDLER = /^data-consent-(on.+)$/;
  const savedHandlers = (el) => [...el.attributes].filter((a) => HANDLER.test(a.name));

  /* A new <script> runs (changing the type does not); resolves once it
   * has run, so that the next one sees its effects. */
  function runScript(old) {
    return new Promise((done) => {
      const s = document.createElement('script');
      const src = old.getAttribute('data-consent-src');
      const type = old.getAttribute('data-consent-type');
      for (const a of [...old.attributes]) {
        const handler = HANDLER.exec(a.name);
        if (handler) s.setAttribute(handler[1], a.value);
        else if (!/^(type|data-consent.*)$/.test(a.name)) s.setAttribute(a.name, a.value);
      }
      if (type) s.type = type;
      /* wait for one that runs, unless the page let it run whenever */
      const runs = !type || type === 'module' || /script$/i.test(type);
      const wait = src && runs && !old.hasAttribute('async');
      if (src) {
        /* listeners: the page's own onload and onerror stay */
        s.addEventListener('load', () => done());
        s.addEventListener('error', () => done());
        s.src = src;
      } else {
        s.text = old.textContent;
      }
      old.replaceWith(s);
      if (!wait) done();
    });
  }

  /* The attributes the server moves to data-consent-NAME while an element
   * waits; src stands for the element's own URL attribute; a held frame's
   * name ("" when it had none) stands aside for one of the server's. */
  const SAVED = ['src', 'srcset', 'imagesrcset', 'poster', 'background', 'ping', 'style', 'srcdoc', 'content', 'type',
    'fill', 'stroke', 'filter', 'mask', 'cursor', 'clip-path', 'marker-start', 'marker-mid', 'marker-end', 'name'];
  const SVG = 'http://www.w3.org/2000/svg';

  function urlAttr(el) {
    if (el.namespaceURI === SVG) return 'href';
    return el.localName === 'link' || el.localName === 'base' ? 'href' : el.localName === 'object' ? 'data' : 'src';
  }

  function restore(el) {
    for (const from of SAVED) {
      const v = el.getAttribute('data-consent-' + from);
      if (v === null) continue;
      if (from === 'name' && v === '') el.removeAttribute('name');
      else el.setAttribute(from === 'src' ? urlAttr(el) : from, v);
      el.removeAttribute('data-consent-' + from);
    }
    for (const a of savedHandlers(el)) {
      el.setAttribute(HANDLER.exec(a.name)[1], a.value);
      el.removeAttribute(a.name);
    }
  }

  /* A held <style> comes back as a new one: a browser may not apply a
   * sheet again when only its type changes. */
  function restoreSheet(old) {
    const s = document.createElement('style');
    for (const a of [...old.attributes]) {
      if (!/^(type|data-consent.*)$/.test(a.name)) s.setAttribute(a.name, a.value);
    }
    const type = old.getAttribute('data-consent-type');
    if (type) s.setAttribute('type', type);
    s.textContent = old.textContent;
    old.replaceWith(s);
  }

  /* data-consent names one category, or several that must all be granted;
   * data-consent-service the one service whose rules held it back, enough
   * on its own. */
  const grantedFor = (el, granted, svcs) =>
    el.getAttribute('data-consent').split(/\s+/).filter(Boolean).every((c) => granted.includes(c)) ||
    (el.hasAttribute('data-consent-service') && svcs.includes(el.getAttribute('data-consent-service')));

  /* Brings EL back; true when only a new page load can (a <base> changes
   * how every URL of the page resolves). */
  function restoreElement(el) {
    const name = el.localName;
    if (name === 'template') {
      el.replaceWith(el.content.cloneNode(true));
    } else if (name === 'style' && el.getAttribute('type') === 'text/plain') {
      restoreSheet(el);
    } else if (name === 'base') {
      return true;
    } else if (name === 'link' || name === 'iframe' || name === 'frame') {
      /* a link already in the page does not fetch again when its
       * attributes change; a frame comes back as a new one: one a script
       * makes is never sent back to its URL by session history, where the
       * held one would keep the embed's URL for its page */
      const copy = el.cloneNode(false);
      restore(copy);
      el.replaceWith(copy);
    } else {
      restore(el);
      const media = el.parentElement;
      if ((name === 'source' || name === 'track') && media && typeof media.load === 'function') media.load();
    }
    return false;
  }

  async function activate(granted, svcs) {
    let reload = false;
    for (const el of [...document.querySelectorAll('[data-consent]')]) {
      if (!el.isConnected || !grantedFor(el, granted, svcs)) continue;
      let ran = null;
      bypass++;
      try {
        if (el.hasAttribute('data-consent-reload')) {
          /* too long for the server to read: held back whole behind
           * attributes that cannot be undone here; the next page load
           * brings it as it is */
          reload = true;
        } else if (el.localName === 'script') {
          if (el.getAttribute('type') === 'text/plain') ran = runScript(el);
          else restore(el); /* it ran: only its handlers were held */
        } else if (el.localName === 'template' || SAVED.some((a) => el.hasAttribute('data-consent-' + a))) {
          reload = restoreElement(el) || reload;
        } else if (savedHandlers(el).length) {
          /* only its handlers were held: put back in place (a frame not
           * loaded anew, a medium not restarted) */
          restore(el);
        } else if (el.localName === 'style' && el.getAttribute('type') === 'text/plain') {
          restoreSheet(el);
        }
      } finally {
        bypass--;
      }
      if (ran) await ran;
    }
    if (reload) location.reload();
  }

  /* A page the browser kept whole in its back/forward cache comes back as
   * it was, with what ran in it. If the visitor has since taken back
   * something it has live, it loads anew, made for the choice now. (A
   * decision that takes back answers Clear-Site-Data, which makes Chromium
   * drop such pages; this is for browsers that keep them anyway.) */
  addEventListener('pageshow', (e) => {
    if (!e.persisted || !window.fetch) return;
    fetch(base + '/state', { credentials: 'same-origin', cache: 'no-store' })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((state) => {
        const now = state.granted || [];
        const nowServices = state.services || [];
        if (allowed.some((c) => !now.includes(c)) || services.some((s) => !nowServices.includes(s))) location.reload();
      }, () => {
        /* no answer: the page stays as it was kept */
      });
  });

  /* The settings page says when a choice was made in UTC (it cannot know
   * the visitor's zone); here it becomes the visitor's local time, with
   * the zone named. */
  function localTimes() {
    for (const t of document.querySelectorAll('time.mc-local-time[datetime]')) {
      const when = new Date(t.getAttribute('datetime'));
      if (Number.isNaN(when.getTime())) continue;
      try {
        t.textContent = new Intl.DateTimeFormat(t.closest('[lang]')?.lang || undefined, {
          year: 'numeric',
          month: 'long',
          day: 'numeric',
          hour: '2-digit',
          minute: '2-digit',
          timeZoneName: 'short',
        }).format(when);
      } catch {
        /* no Intl for this language: the UTC time stays */
      }
    }
  }

  function init() {
    localTimes();
    const $ = (id) => document.getElementById(id);
    const banner = $('mc-banner');
    const box = $('mc-reopen-box');
    const form = $('mc-form');
    if (!banner || !box || !form) return;
    const details = $('mc-settings');
    const reopen = $('mc-reopen');
    const inputs = () => [...form.querySelectorAll('input[name="granted"]')];
    const chosen = () => inputs().filter((i) => i.checked || i.type === 'hidden').map((i) => i.value);
    /* the second layer's switches for single services (class mc-service,
     * data-category naming their category) */
    const serviceInputs = () => [...form.querySelectorAll('input.mc-service')];
    /* a service whose category is chosen is covered by it: not sent; one
     * granted before that this form has no switch for (allowed from a
     * placeholder) is kept: what the form does not show, it does not change
     * (the server drops it if its category now covers it) */
    const chosenServices = (cats) => {
      const shown = serviceInputs();
      return shown
        .filter((i) => i.checked && !i.disabled && !cats.includes(i.dataset.category))
        .map((i) => i.value)
        .concat(services.filter((id) => !shown.some((i) => i.value === id)));
    };
    /* A ticked category covers its services: they show ticked and cannot
     * be unticked on their own; unticking it gives them back their own
     * state. */
    function coverServices() {
      const cats = chosen();
      for (const i of serviceInputs()) {
        const covered = cats.includes(i.dataset.category);
        if (covered && !i.disabled) {
          i.dataset.own = i.checked ? '1' : '';
          i.checked = true;
          i.disabled = true;
        } else if (!covered && i.disabled) {
          i.disabled = false;
          i.checked = i.dataset.own === '1';
        }
      }
    }
    function showServices(svcs) {
      for (const i of serviceInputs()) {
        i.disabled = false;
        i.checked = svcs.includes(i.value);
      }
      coverServices();
    }
    const via = banner.classList.contains('mc-standalone') ? 'settings' : 'banner';
    const focus = (el) => el && el.focus({ preventScroll: true });
    /* under a <base> elsewhere, the banner's own links and form, too,
     * against the page's URL */
    if (new URL(document.baseURI).origin !== location.origin) {
      form.setAttribute('action', base + '/decision');
      for (const a of banner.querySelectorAll('a[href^="/"]')) a.href = new URL(a.getAttribute('href'), location.href).href;
    }
    let decided = !box.hidden;
    let granted = decided ? chosen() : [];
    let grantedServices = decided ? services.slice() : [];
    let clicked = null;
    showServices(services);
    form.addEventListener('change', (e) => {
      if (e.target && e.target.name === 'granted') coverServices();
    });

    function show(open) {
      banner.hidden = false;
      box.hidden = true;
      if (details) details.open = open;
      focus($('mc-title'));
    }

    function close() {
      banner.hidden = true;
      box.hidden = false;
      if (details) details.open = false;
      focus(reopen);
    }

    /* "Reject all" is "Withdraw consent" while something optional is
     * granted: withdrawing is one click once the banner is open */
    const refusal = form.querySelector('button[name="method"][value="reject_all"]');
    const required = inputs().filter((i) => i.type === 'hidden').map((i) => i.value);
    function nameRefusal(state) {
      if (!refusal) return;
      const more = (state.granted || []).some((c) => !required.includes(c)) || (state.services || []).length > 0;
      const label = refusal.getAttribute(more ? 'data-label-withdraw' : 'data-label-reject');
      if (label) refusal.textContent = label;
    }

    function applied(state) {
      nameRefusal(state);
      const now = state.granted || [];
      const nowServices = state.services || [];
      /* a service given up is withdrawn too, unless its category now covers it */
      const withdrawn = granted.some((c) => !now.includes(c)) ||
        grantedServices.some((s) => !nowServices.includes(s) && !covers(now, s));
      const newService = nowServices.some((s) => !grantedServices.includes(s));
      decided = true;
      granted = now;
      grantedServices = nowServices;
      allowed = now;
      services = nowServices;
      if (gcm) gcmUpdate(now);
      for (const i of inputs()) if (i.type === 'checkbox') i.checked = now.includes(i.value);
      showServices(nowServices);
      close();
      /* a running tracker cannot be stopped: reload the page without it;
       * a service alone needs the new policy's hosts as much as a category */
      if (withdrawn || needsNewPolicy(now) || (cspReload.length && newService)) location.reload();
      else afterPaint(() => activate(now, nowServices));
    }

    /* FN once the banner's closing is on screen: what the choice lets in
     * (frames, scripts) is laid out in frames of its own, not in the one
     * that answers the click */
    function afterPaint(fn) {
      if (document.hidden) setTimeout(fn, 0);
      else requestAnimationFrame(() => setTimeout(fn, 0));
    }

    /* whether the category of service S (as its switch says) is among CATS */
    function covers(cats, s) {
      const i = serviceInputs().find((x) => x.value === s);
      return !!i && cats.includes(i.dataset.category);
    }

    /* on any failure the plain form still works */
    function fallback(method) {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = 'method';
      input.value = method;
      form.appendChild(input);
      HTMLFormElement.prototype.submit.call(form);
    }

    form.addEventListener('click', (e) => {
      const b = e.target.closest && e.target.closest('button[name="method"]');
      if (b) clicked = b;
    });

    /* One choice at a time: while it is being saved the form says so
     * (aria-busy, and the buttons dim at once, so the click is answered
     * in the next frame), and a second click sends nothing — one decision,
     * one record. */
    form.addEventListener('submit', (e) => {
      const button = e.submitter || clicked;
      if (!button || button.name !== 'method' || !window.fetch) return;
      e.preventDefault();
      if (form.getAttribute('aria-busy') === 'true') return;
      form.setAttribute('aria-busy', 'true');
      const cats = chosen();
      const body = { method: button.value, granted: cats, services: chosenServices(cats), via };
      if (form.elements.lang) body.lang = form.elements.lang.value;
      fetch(base + '/decision', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      })
        .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
        .then((state) => {
          form.removeAttribute('aria-busy');
          applied(state);
        }, () => fallback(button.value));
    });

    if (reopen) {
      reopen.addEventListener('click', (e) => {
        e.preventDefault();
        show(true);
      });
    }

    banner.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      if (details && details.open) {
        details.open = false;
        focus(details.querySelector('summary'));
      } else if (decided) {
        close();
      }
    });

    if (!banner.hidden) focus($('mc-title'));
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
