// The setup every browser test file shares: the apache2 servers it needs,
// one Chromium, and the temporary directories its pages live in, started
// before the file's tests and all stopped after them.
//
//   const site = useSite();                          // site.server, site.browser
//   const site = useSite({ servers: { server: {}, admin: { extraConf: 'ConsentAdminAddress 127.0.0.1' } } });
//   const site = useSite({ servers: { server: (s) => startServer({ extraConf: conf(s.tempDir('mc-x-')) }) } });
//
// Each entry of `servers` is either the options of startServer() (the
// demo site, with `extraConf` appended) or a function that starts a server
// of its own kind and resolves to it (anything with a stop()); the function
// is called in before(), with `site`, so it may build its configuration
// then. The servers start one after the other, in the order given, then
// the browser: `browser` is true (launchBrowser()), false (none) or a
// function that launches one. Each is a property of `site` under its name
// once it is up.
//
// The after() hook closes the browser, stops every server that started and
// removes every directory of site.tempDir(), even when a step of before()
// failed halfway; a browser or server that did not stop is reported once
// all are done (a directory that could not be removed is only said).
//
// Node 20 runs the top-level before() hooks of a file at once, without
// waiting for one another: a file's own before() steps that need the site
// begin with `await site.ready`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';

import { launchBrowser } from './browser.mjs';
import { removeDir, startServer } from './server.mjs';

const RESERVED = new Set(['browser', 'ready', 'tempDir']);

export function useSite({ servers = { server: {} }, browser = true } = {}) {
  for (const name of Object.keys(servers)) {
    if (RESERVED.has(name)) throw new Error(`useSite: a server cannot be called "${name}"`);
  }
  const started = [];
  const dirs = [];
  let begun = false;
  let resolveReady;
  let rejectReady;
  const ready = new Promise((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // a file need not await it; whoever does still sees the failure
  ready.catch(() => {});

  const site = {
    ready,
    browser: null,
    /** A fresh directory apache's children can read, removed after the tests. */
    tempDir(prefix = 'mc-site-') {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(dir);
      fs.chmodSync(dir, 0o755);
      return dir;
    },
  };

  before(async () => {
    // Node 20 runs a top-level before() as soon as it is registered: wait
    // until the file has been read to its end, so that a function of
    // `servers` may use the file's constants (and `site`) wherever they are
    begun = true;
    await null;
    try {
      for (const [name, how] of Object.entries(servers)) {
        const server = typeof how === 'function' ? await how(site) : await startServer(how);
        started.push(server);
        site[name] = server;
      }
      if (browser) site.browser = await (typeof browser === 'function' ? browser() : launchBrowser());
      resolveReady(site);
    } catch (e) {
      rejectReady(e);
      throw e;
    }
  });

  after(async () => {
    // what before() is still starting is stopped too (a hook never run has nothing)
    if (begun) await ready.catch(() => {});
    const errors = [];
    const attempt = async (step) => {
      try {
        await step();
      } catch (e) {
        errors.push(e);
      }
    };
    if (site.browser) await attempt(() => site.browser.close());
    for (const server of started.reverse()) await attempt(() => server.stop());
    // a directory left behind is no failure of what the tests check: said, not thrown
    for (const dir of dirs) removeDir(dir);
    if (errors.length === 1) throw errors[0];
    if (errors.length) throw new AggregateError(errors, 'the site did not stop cleanly');
  });

  return site;
}
