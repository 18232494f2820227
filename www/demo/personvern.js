/* personvern.js: fills the cookie table of the privacy page from what the
 * server knows, so that the table never goes stale.
 *
 * GET {base}/declaration answers (mod_consent's contract, README.md):
 *   {"categories": [
 *      {"name": "statistics", "title": "Statistikk", "required": false,
 *       "description": "...",
 *       "cookies": [{"name": "_ga", "service": "Google Analytics"}, ...],
 *       "services": [{"name": "Google Analytics", "vendor": "Google",
 *                     "privacy": "https://...", "purpose": "...",
 *                     "entity": "Google Ireland Limited", "outside_eea": true,
 *                     "countries": ["IE", "US"], "transfer": "...",
 *                     "cookies": [{"name": "_ga", "duration": "2 år"}, ...]}, ...]},
 *      ...],
 *    "seen": [
 *      {"name": "_ga", "category": "statistics", "domain": "fjordklinikken.no",
 *       "lifetime": 63072000, "service": "Google Analytics", "vendor": "Google"}, ...]}
 * Only the services the site is seen to use are listed. "seen" are the
 * cookies the server has seen the site set (lifetime in seconds, null for a
 * session cookie; category "unclassified" when no rule names it). They make
 * the first table, the one Norwegian privacy statements carry: name,
 * purpose, provider, domain, lifetime in words, first or third party. Then,
 * per category, the services: purpose, cookies and how long they last, who
 * is responsible and whether data leaves the EEA.
 *
 * Every cell carries its column's name (data-label): on a phone site.css
 * stacks a row into a card instead of letting the table scroll sideways.
 * Anything else in the answer is ignored. Text only, never markup: the
 * answer is written with textContent. */
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

  /* A cell is text, or a node made by the caller. */
  function row(cells, heads) {
    const tr = el('tr');
    cells.forEach((c, i) => {
      const cell = el(heads ? 'td' : 'th');
      if (c instanceof Node) cell.appendChild(c);
      else cell.textContent = c;
      if (heads) cell.setAttribute('data-label', heads[i]);
      else cell.scope = 'col';
      tr.appendChild(cell);
    });
    return tr;
  }

  function table(caption, heads, rows) {
    const t = el('table', undefined, 'stable');
    t.appendChild(el('caption', caption));
    const head = el('thead');
    head.appendChild(row(heads));
    t.appendChild(head);
    const body = el('tbody');
    for (const r of rows) body.appendChild(row(r, heads));
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

  function cookieList(service) {
    const cookies = Array.isArray(service.cookies) ? service.cookies : [];
    if (cookies.length === 0) return '–';
    const ul = el('ul', undefined, 'kort-liste');
    for (const c of cookies) {
      const li = el('li');
      li.appendChild(el('code', String(c.name)));
      if (typeof c.duration === 'string' && c.duration) li.appendChild(document.createTextNode(': ' + c.duration));
      ul.appendChild(li);
    }
    return ul;
  }

  function outside(service) {
    if (service.outside_eea === true) {
      const where = Array.isArray(service.countries) ? ' (' + service.countries.join(', ') + ')' : '';
      return 'Ja' + where + (typeof service.transfer === 'string' ? '. ' + service.transfer : '');
    }
    return service.outside_eea === false ? 'Nei' : 'Ikke oppgitt';
  }

  function category(cat) {
    const section = el('section');
    const title = titleOf(cat);
    section.appendChild(el('h4', cat.required ? title + ' (alltid på)' : title));
    if (typeof cat.description === 'string' && cat.description) {
      section.appendChild(el('p', cat.description));
    }
    const services = Array.isArray(cat.services) ? cat.services : [];
    if (services.length === 0) {
      section.appendChild(el('p', 'Ingen tjenester i denne kategorien er i bruk.', 'merknad'));
      return section;
    }
    section.appendChild(table('Tjenester i kategorien ' + title.toLowerCase(),
      ['Tjeneste', 'Formål', 'Informasjonskapsler og levetid', 'Ansvarlig', 'Utenfor EØS'],
      services.map((sv) => [
        String(sv.name) + (sv.vendor && sv.vendor !== sv.name ? ' (' + String(sv.vendor) + ')' : ''),
        String(sv.purpose || sv.description || '–'),
        cookieList(sv),
        String(sv.entity || sv.vendor || '–'),
        outside(sv),
      ])));
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
      const per = el('h4', 'Tjenestene nettstedet bruker, etter kategori');
      box.replaceChildren(seenTable(seen, titles), per, ...decl.categories.map(category));
      box.setAttribute('data-filled', 'true');
    })
    .catch(failed);
})();
