/* personvern.js: fills the cookie table of the privacy page from what the
 * server knows, so that the table never goes stale.
 *
 * GET {base}/declaration answers (mod_consent's contract):
 *   {"categories": [
 *      {"name": "statistics", "title": "Statistikk", "required": false,
 *       "description": "...",
 *       "cookies": [{"name": "_ga", "service": "Google Analytics"}, ...]},
 *      ...]}
 * "title" and "description" may be missing (the name is shown instead of a
 * title); "required" true marks a category that is always on. Anything else
 * in the answer is ignored. Text only, never markup: the answer is written
 * with textContent. */
(() => {
  'use strict';

  const box = document.getElementById('informasjonskapsler');
  if (!box || !window.fetch) return;

  /* The module's endpoint: where consent.js says it is, else the default. */
  const marked = document.querySelector('script[data-base]');
  const base = (marked && marked.getAttribute('data-base')) || '/_consent';

  const TITLES = {
    necessary: 'Nødvendige',
    preferences: 'Preferanser',
    statistics: 'Statistikk',
    marketing: 'Markedsføring',
  };

  function el(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (className) e.className = className;
    return e;
  }

  function row(cells, header) {
    const tr = el('tr');
    for (const c of cells) {
      const cell = el(header ? 'th' : 'td', c);
      if (header) cell.scope = 'col';
      tr.appendChild(cell);
    }
    return tr;
  }

  function category(cat) {
    const section = el('section');
    const title = (typeof cat.title === 'string' && cat.title) || TITLES[cat.name] || String(cat.name);
    section.appendChild(el('h4', cat.required ? title + ' (alltid på)' : title));
    if (typeof cat.description === 'string' && cat.description) {
      section.appendChild(el('p', cat.description));
    }
    const cookies = Array.isArray(cat.cookies) ? cat.cookies : [];
    if (cookies.length === 0) {
      section.appendChild(el('p', 'Ingen informasjonskapsler i denne kategorien.', 'merknad'));
      return section;
    }
    const table = el('table');
    table.appendChild(el('caption', 'Informasjonskapsler i kategorien ' + title.toLowerCase()));
    const head = el('thead');
    head.appendChild(row(['Navn', 'Tjeneste'], true));
    table.appendChild(head);
    const body = el('tbody');
    for (const c of cookies) body.appendChild(row([String(c.name), c.service ? String(c.service) : '–']));
    table.appendChild(body);
    section.appendChild(table);
    return section;
  }

  function failed() {
    box.replaceChildren(
      el('p', 'Oversikten over informasjonskapsler kunne ikke hentes akkurat nå. Prøv igjen senere.', 'merknad'),
    );
  }

  fetch(base + '/declaration', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status))))
    .then((decl) => {
      if (!decl || !Array.isArray(decl.categories)) throw new Error('no categories');
      box.replaceChildren(...decl.categories.map(category));
      box.setAttribute('data-filled', 'true');
    })
    .catch(failed);
})();
