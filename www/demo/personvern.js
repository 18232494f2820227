/* personvern.js: fills the cookie table of the privacy page from what the
 * server knows, so that the table never goes stale.
 *
 * GET {base}/declaration answers (mod_consent's contract):
 *   {"categories": [
 *      {"name": "statistics", "title": "Statistikk", "required": false,
 *       "description": "...",
 *       "cookies": [{"name": "_ga", "service": "Google Analytics"}, ...]},
 *      ...],
 *    "seen": [
 *      {"name": "_ga", "category": "statistics", "domain": "fjordklinikken.no",
 *       "lifetime": 63072000, "first_seen": "2026-11-24T08:00:00Z",
 *       "last_seen": "2026-11-24T09:12:00Z", "service": "Google Analytics",
 *       "vendor": "Google"}, ...]}
 * "seen" are the cookies the server has seen the site set (lifetime in
 * seconds, null for a session cookie; category "unclassified" when no rule
 * names it). They make the first table, the one Norwegian privacy
 * statements carry: name, purpose, provider, domain, lifetime in words,
 * first or third party. The categories' own lists follow, as what the
 * services the site uses may set.
 *
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
    unclassified: 'Ikke klassifisert',
  };
  const OWNER = 'Fjordklinikken legevakt';

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

  function table(caption, heads, rows) {
    const t = el('table');
    t.appendChild(el('caption', caption));
    const head = el('thead');
    head.appendChild(row(heads, true));
    t.appendChild(head);
    const body = el('tbody');
    for (const r of rows) body.appendChild(row(r));
    t.appendChild(body);
    return t;
  }

  function titleOf(cat) {
    return (typeof cat.title === 'string' && cat.title) || TITLES[cat.name] || String(cat.name);
  }

  /* "2 år", "90 dager", "1 time": the largest unit that fits, rounded. */
  function lifetimeInWords(seconds) {
    if (seconds === null || seconds === undefined) return 'Økt (slettes når du lukker nettleseren)';
    const s = Number(seconds);
    if (!Number.isFinite(s) || s <= 0) return '–';
    const units = [
      [365 * 86400, 'år', 'år'],
      [30 * 86400, 'måned', 'måneder'],
      [7 * 86400, 'uke', 'uker'],
      [86400, 'dag', 'dager'],
      [3600, 'time', 'timer'],
      [60, 'minutt', 'minutter'],
    ];
    for (const [size, one, many] of units) {
      if (s >= size && (s % size === 0 || s >= 2 * size || size === 60)) {
        const n = Math.round(s / size);
        return n + ' ' + (n === 1 ? one : many);
      }
    }
    return s + (s === 1 ? ' sekund' : ' sekunder');
  }

  /* A cookie set on this host or a domain above it is ours (first party). */
  function party(domain) {
    const host = location.hostname.toLowerCase();
    const d = String(domain || '').toLowerCase().replace(/^\./, '');
    return d && (host === d || host.endsWith('.' + d)) ? 'Førstepart' : 'Tredjepart';
  }

  function seenTable(seen, titles) {
    const section = el('section');
    section.id = 'sett-informasjonskapsler';
    section.appendChild(el('h4', 'Informasjonskapsler nettstedet setter'));
    if (seen.length === 0) {
      section.appendChild(el('p', 'Serveren har ennå ikke sett nettstedet sette noen informasjonskapsler.', 'merknad'));
      return section;
    }
    const rows = seen.map((c) => {
      const purpose = titles[c.category] || TITLES[c.category] || String(c.category);
      const provider = c.service
        ? String(c.service) + (c.vendor ? ' (' + String(c.vendor) + ')' : '')
        : OWNER;
      return [String(c.name), purpose, provider, String(c.domain), lifetimeInWords(c.lifetime), party(c.domain)];
    });
    section.appendChild(table('Navn, formål, leverandør, domene og varighet',
      ['Navn', 'Formål', 'Leverandør', 'Domene', 'Varighet', 'Type'], rows));
    section.appendChild(el('p', 'Listen lages av serveren ut fra informasjonskapslene den ser nettstedet sette, '
      + 'også de den holder tilbake til du har samtykket.', 'merknad'));
    return section;
  }

  function category(cat) {
    const section = el('section');
    const title = titleOf(cat);
    section.appendChild(el('h4', cat.required ? title + ' (alltid på)' : title));
    if (typeof cat.description === 'string' && cat.description) {
      section.appendChild(el('p', cat.description));
    }
    const cookies = Array.isArray(cat.cookies) ? cat.cookies : [];
    if (cookies.length === 0) {
      section.appendChild(el('p', 'Ingen informasjonskapsler i denne kategorien.', 'merknad'));
      return section;
    }
    section.appendChild(table('Informasjonskapsler i kategorien ' + title.toLowerCase(), ['Navn', 'Tjeneste'],
      cookies.map((c) => [String(c.name), c.service ? String(c.service) : '–'])));
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
      const titles = {};
      for (const cat of decl.categories) titles[cat.name] = titleOf(cat);
      const seen = Array.isArray(decl.seen) ? decl.seen : [];
      const per = el('h4', 'Informasjonskapsler tjenestene vi bruker kan sette, etter kategori');
      box.replaceChildren(seenTable(seen, titles), per, ...decl.categories.map(category));
      box.setAttribute('data-filled', 'true');
    })
    .catch(failed);
})();
