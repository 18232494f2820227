/* consent.js: enhances mod_consent's banner, a plain form without it. A
 * choice is posted as JSON, the banner closes, and what the server held
 * back is activated in document order. */
(() => {
  'use strict';

  const me = document.currentScript;
  const base = (me && me.getAttribute('data-base')) || '/_consent';

  /* A new <script> runs (changing the type does not); resolves once it
   * has run, so that the next one sees its effects. */
  function runScript(old) {
    return new Promise((done) => {
      const s = document.createElement('script');
      const src = old.getAttribute('data-consent-src');
      const type = old.getAttribute('data-consent-type');
      for (const a of [...old.attributes]) {
        if (!/^(type|data-consent.*)$/.test(a.name)) s.setAttribute(a.name, a.value);
      }
      if (type) s.type = type;
      /* wait for one that runs, unless the page let it run whenever */
      const runs = !type || type === 'module' || /script$/i.test(type);
      const wait = src && runs && !old.hasAttribute('async');
      if (src) {
        s.onload = s.onerror = () => done();
        s.src = src;
      } else {
        s.text = old.text;
      }
      old.replaceWith(s);
      if (!wait) done();
    });
  }

  function restore(el) {
    const url = el.tagName === 'LINK' ? 'href' : el.tagName === 'OBJECT' ? 'data' : 'src';
    for (const [from, to] of [['srcset', 'srcset'], ['src', url], ['type', 'type']]) {
      const v = el.getAttribute('data-consent-' + from);
      if (v !== null) {
        el.setAttribute(to, v);
        el.removeAttribute('data-consent-' + from);
      }
    }
  }

  async function activate(granted) {
    for (const el of [...document.querySelectorAll('[data-consent]')]) {
      if (!el.isConnected || !granted.includes(el.getAttribute('data-consent'))) continue;
      if (el.tagName === 'SCRIPT') {
        if (el.type === 'text/plain') await runScript(el);
      } else if (el.hasAttribute('data-consent-src') || el.hasAttribute('data-consent-srcset')) {
        restore(el);
      }
    }
  }

  function init() {
    const $ = (id) => document.getElementById(id);
    const banner = $('mc-banner');
    const box = $('mc-reopen-box');
    const form = $('mc-form');
    if (!banner || !box || !form) return;
    const details = $('mc-settings');
    const reopen = $('mc-reopen');
    const inputs = () => [...form.querySelectorAll('input[name="granted"]')];
    const chosen = () => inputs().filter((i) => i.checked || i.type === 'hidden').map((i) => i.value);
    const focus = (el) => el && el.focus({ preventScroll: true });
    let decided = !box.hidden;
    let granted = decided ? chosen() : [];
    let clicked = null;

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

    function applied(state) {
      const now = state.granted || [];
      const withdrawn = granted.some((c) => !now.includes(c));
      decided = true;
      granted = now;
      for (const i of inputs()) if (i.type === 'checkbox') i.checked = now.includes(i.value);
      close();
      /* a running tracker cannot be stopped: reload the page without it */
      if (withdrawn) location.reload();
      else activate(now);
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

    form.addEventListener('submit', (e) => {
      const button = e.submitter || clicked;
      if (!button || button.name !== 'method' || !window.fetch) return;
      e.preventDefault();
      const body = { method: button.value, granted: chosen() };
      if (form.elements.lang) body.lang = form.elements.lang.value;
      fetch(base + '/decision', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      })
        .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
        .then(applied, () => fallback(button.value));
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
