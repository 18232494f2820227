// A real apache2 with mod_consent serving the demo clinic site, for the
// browser tests. The configuration is the demo's own (www/demo/httpd.conf.in,
// the one `bash www/demo/serve.sh` uses), filled in for a temporary
// directory and a free port on 127.0.0.1.
//
//   const server = await startServer();
//   server.url('/kontakt.html'); server.records(); await server.stop();
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DEMO = path.join(REPO, 'www', 'demo');
const HTTPD = process.env.MC_HTTPD || '/usr/sbin/apache2';
const MODULE = process.env.MC_MODULE || path.join(REPO, '.libs', 'mod_consent.so');
const RUN_USER = 'www-data';
const START_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 10000;

export function moduleDir() {
  if (process.env.MC_MODULE_DIR) return process.env.MC_MODULE_DIR;
  try {
    return execFileSync('apxs', ['-q', 'LIBEXECDIR'], { encoding: 'utf8' }).trim();
  } catch {
    return '/usr/lib/apache2/modules';
  }
}

function canListen(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

// A free loopback port below the kernel's ephemeral range: a port from
// listen(0) is in that range, where a connection opened before apache2
// binds it (Chromium's, a readiness probe connecting to itself) can hold it,
// and apache2 then fails to start. None handed out before in this process.
const portsHandedOut = new Set();
async function freePort() {
  let low = 32768;
  try {
    low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]) || low;
  } catch {
    /* the usual range */
  }
  const from = Math.max(1024, low - 12000);
  for (let i = 0; i < 500; i++) {
    const port = from + Math.floor(Math.random() * (low - from));
    if (!portsHandedOut.has(port) && (await canListen(port))) {
      portsHandedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${from} and ${low}`);
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function readIfExists(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// Servers still running when the test process exits (a crash, a timeout)
// are stopped here, by the PID we started.
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** Removes a temporary directory, retrying while something still writes
 * in it (Chromium's helpers, after the browser closed); one that stays is
 * said on stderr, not thrown: it is no failure of what a test checks. */
export function removeDir(dir) {
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  } catch (e) {
    console.error(`# could not remove ${dir}: ${e.message}`);
  }
}

/**
 * Configuration for startServer's `extraConf` that serves DIR at URL_PATH
 * (mod_alias), after writing FILES (name -> text) into it; DIRECTIVES
 * (lines) go inside its <Directory>.
 */
export function pagesConf(urlPath, dir, files = {}, directives = []) {
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return [
    `LoadModule alias_module ${moduleDir()}/mod_alias.so`,
    `Alias ${urlPath} "${dir}"`,
    `<Directory "${dir}">`,
    '    Require all granted',
    ...directives.map((d) => `    ${d}`),
    '</Directory>',
  ].join('\n');
}

/**
 * Starts the demo site. `extraConf` is appended to the configuration (a
 * test may add directives). Resolves once the server accepts connections;
 * rejects with apache's own words (config test, error log) when it cannot.
 */
export async function startServer({ extraConf = '' } = {}) {
  if (!fs.existsSync(MODULE)) {
    throw new Error(`${MODULE} is missing: build mod_consent first (sh build-aux/build.sh)`);
  }
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-browser-'));
  const logs = path.join(run, 'logs');
  fs.mkdirSync(logs);
  fs.chmodSync(run, 0o755);
  const secret = path.join(run, 'secret');
  fs.writeFileSync(secret, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const port = await freePort();
  const fill = { '@ROOT@': REPO, '@RUN@': run, '@PORT@': String(port), '@MODDIR@': moduleDir(), '@MODULE@': MODULE };
  let conf = fs.readFileSync(path.join(DEMO, 'httpd.conf.in'), 'utf8');
  conf = conf.replace(/@(ROOT|RUN|PORT|MODDIR|MODULE)@/g, (m) => fill[m]);
  if (process.getuid && process.getuid() === 0) {
    conf += `User ${RUN_USER}\nGroup ${RUN_USER}\n`;
    execFileSync('chown', ['-R', RUN_USER, logs]);
    // as serve.sh does: the server's children must be able to read the site
    for (const dir of [REPO, path.join(REPO, 'www'), DEMO]) {
      try {
        fs.chmodSync(dir, fs.statSync(dir).mode | 0o005);
      } catch {
        /* not ours to change: the check after start-up says so */
      }
    }
  }
  conf += extraConf ? `\n${extraConf}\n` : '';
  const confFile = path.join(run, 'httpd.conf');
  fs.writeFileSync(confFile, conf);

  try {
    execFileSync(HTTPD, ['-f', confFile, '-t'], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    throw new Error(`apache2 refuses the demo configuration (${confFile}):\n${e.stderr || e.message}`);
  }

  let output = '';
  const child = spawn(HTTPD, ['-f', confFile, '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exited = null;
  const exit = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(child);
      resolve();
    }),
  );

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill('SIGKILL');
      throw new Error(
        `apache2 did not start on 127.0.0.1:${port} (${exited ? `exited ${exited.code ?? exited.signal}` : 'timed out'}):\n` +
          `${output}${readIfExists(path.join(logs, 'error.log'))}`,
      );
    }
    await sleep(50);
  }

  const home = await fetch(`http://127.0.0.1:${port}/`)
    .then(async (r) => ({ status: r.status, body: await r.text() }))
    .catch((e) => ({ status: e.message }));
  if (home.status !== 200) {
    child.kill('SIGTERM');
    throw new Error(
      `the demo's home page answered ${home.status}` +
        (home.status === 403 ? ` (can ${RUN_USER} read ${DEMO} and every directory above it?)` : '') +
        `:\n${readIfExists(path.join(logs, 'error.log'))}`,
    );
  }

  const consentLog = path.join(logs, 'consent.log');
  return {
    port,
    dir: run,
    origin: `http://127.0.0.1:${port}`,
    consentLog,
    errorLog: path.join(logs, 'error.log'),
    url(p = '/') {
      return `http://127.0.0.1:${port}${p}`;
    },
    /** The consent log's records, parsed, oldest first. */
    records() {
      return readIfExists(consentLog)
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l));
    },
    errors() {
      return readIfExists(path.join(logs, 'error.log'));
    },
    /** Stops the server by the PID we started and removes its files. */
    async stop({ keep = process.env.MC_KEEP === '1' } = {}) {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exit;
        clearTimeout(timer);
      }
      if (!keep) removeDir(run);
    },
  };
}
