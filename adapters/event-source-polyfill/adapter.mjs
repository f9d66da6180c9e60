// ssespec client adapter for the browser library event-source-polyfill (the npm package
// event-source-polyfill, pinned in package.json) inside Debian's Chromium, headless,
// driven with playwright-core (pinned in package.json). The machinery is
// adapters/chromium/adapter.mjs's: one browser per run, a page per origin,
// streams spread over browser contexts. What differs: the page is this
// adapter's own (page/client.html and page/client.js, served by the scenario
// server under /static/), and once it is loaded the adapter adds the
// library's file from node_modules to it as a script (page.addScriptTag with
// the file's text), so the page's streams are the library's, not the
// browser's EventSource. README.md beside this file says more.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';

// Chromium opens at most 6 connections per host and port over HTTP/1.1 (its
// socket pool's per-group limit, with no switch to raise it) and every
// stream of a run goes to 127.0.0.1 on one port: a seventh stream would wait
// for a socket, which no scenario expects. Each browser context has a socket
// pool of its own, so streams are spread over contexts, SLOTS streams each.
const SLOTS = 6;
const CONTEXTS = Number(process.env.SSESPEC_CHROMIUM_CONTEXTS || 8);
const MAX_STREAMS = SLOTS * CONTEXTS;
const PAGE_TIMEOUT_MS = 30000;

function log(message) {
  process.stderr.write(`event-source-polyfill adapter: ${message}\n`);
}

function die(message, status) {
  log(message);
  process.exit(status);
}

function send(obj) {
  // Writes to a pipe are synchronous in Node.js on POSIX: lines never
  // interleave and go out in order.
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

// ---------------------------------------------------------------- the browser

function findChromium() {
  const candidates = [process.env.SSESPEC_CHROMIUM, '/usr/lib/chromium/chromium', '/usr/bin/chromium',
    '/usr/bin/chromium-browser'].filter(Boolean);
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return die(`Chromium not found (tried ${candidates.join(', ')}); install it with: apt-get install -y chromium`, 2);
}

// The test CA: a fresh HOME whose NSS database (~/.pki/nssdb, where
// Chromium on Linux keeps locally trusted roots) holds it as a trusted
// certificate authority, so certificates are verified for real. Without
// certutil (Debian's libnss3-tools) the fallback is to ignore certificate
// errors altogether, said on stderr.
function trustSetup(home) {
  const caFile = process.env.SSESPEC_CA_FILE;
  if (!caFile) return { how: 'none' };
  let pem;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (err) {
    return die(`cannot read SSESPEC_CA_FILE ${caFile}: ${err.message}`, 1);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) die(`SSESPEC_CA_FILE ${caFile} holds no PEM certificate`, 1);
  if (process.env.SSESPEC_CHROMIUM_TLS === 'ignore') return { how: 'ignore' };
  const db = join(home, '.pki', 'nssdb');
  try {
    mkdirSync(db, { recursive: true });
    const opts = { stdio: ['ignore', 'ignore', 'pipe'] };
    execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password'], opts);
    // Every certificate in the file, each under its own nickname.
    const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    certs.forEach((cert, i) => {
      execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', `ssespec-test-ca-${i}`],
        { ...opts, input: cert, stdio: ['pipe', 'ignore', 'pipe'] });
    });
    return { how: 'nss' };
  } catch (err) {
    log(`cannot put the test CA into an NSS database (${err.code === 'ENOENT' ? 'certutil is missing: apt-get install -y libnss3-tools' : err.message}); ignoring certificate errors instead`);
    return { how: 'ignore' };
  }
}

const require = createRequire(import.meta.url);
let chromium;
let pwVersion;
try {
  ({ chromium } = await import('playwright-core'));
  pwVersion = require('playwright-core/package.json').version;
} catch (err) {
  die(`cannot load playwright-core (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}`, 2);
}


// The library under test: its file in node_modules, added to each page.
const LIB_PACKAGE = 'event-source-polyfill';
const LIB_FILE = 'src/eventsource.js';
let libSource;
let libVersion;
try {
  libVersion = JSON.parse(readFileSync(new URL(`node_modules/${LIB_PACKAGE}/package.json`, import.meta.url), 'utf8')).version;
  libSource = readFileSync(new URL(`node_modules/${LIB_PACKAGE}/${LIB_FILE}`, import.meta.url), 'utf8');
} catch (err) {
  die(`cannot read ${LIB_PACKAGE} (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}`, 2);
}
// A classic script: it puts EventSourcePolyfill on window itself.
const LIB_SCRIPT = { content: libSource };

const executablePath = findChromium();
const home = mkdtempSync(join(tmpdir(), 'ssespec-chromium-'));
const trust = trustSetup(home);
let browser;
try {
  browser = await chromium.launch({
    executablePath,
    headless: true,
    // Playwright adds its own switches (a fresh --user-data-dir, no
    // background networking, no timer throttling, no sandbox); these keep
    // the browser off a network it cannot reach.
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-domain-reliability',
      '--no-pings'],
    env: { ...process.env, HOME: home },
    timeout: 60000,
  });
} catch (err) {
  rmSync(home, { recursive: true, force: true });
  die(`cannot start ${executablePath}: ${err.message}`, 2);
}
log(`${executablePath} ${browser.version()}, playwright-core ${pwVersion}, ${LIB_PACKAGE} ${libVersion}, TLS trust: ${trust.how}`);

// ---------------------------------------------------------------- state

let shuttingDown = false;
// Streams by the harness's id (those open now), and by the key the page
// knows them by: "id#n", new for every open, so that the reports of a closed
// stream never mix with those of a later stream of the same id.
const streams = new Map(); // id -> stream
const byKey = new Map(); // key -> stream
let opens = 0;
// Browser contexts, each with its own socket pool: {context, pages: Map(origin
// -> Promise<Page>), count: Map(origin -> streams using its sockets)}.
const contexts = [];

async function shutdown(status) {
  if (shuttingDown) return;
  shuttingDown = true;
  const timer = setTimeout(() => {
    rmSync(home, { recursive: true, force: true });
    process.exit(status);
  }, 10000);
  try {
    await browser.close();
  } catch {
    // gone already
  }
  clearTimeout(timer);
  rmSync(home, { recursive: true, force: true });
  process.exit(status);
}

function crashed(what) {
  if (shuttingDown) return;
  log(`${what}: failing every open stream and exiting`);
  for (const s of byKey.values()) send({ stream: s.id, kind: 'failure', message: what });
  byKey.clear();
  streams.clear();
  shutdown(3);
}

browser.on('disconnected', () => crashed('the browser went away'));

async function newContext() {
  const context = await browser.newContext({ ignoreHTTPSErrors: trust.how === 'ignore' });
  await context.exposeBinding('ssespecDeliver', ({ page }, json) => deliver(page, json));
  return { context, pages: new Map(), count: new Map() };
}

// Reports arrive in batches numbered per page. The DevTools protocol keeps
// their order; the numbers make sure of it.
const pageOrder = new WeakMap(); // page -> {next, held: Map(batch -> reports)}

function deliver(page, json) {
  let msg;
  try {
    msg = JSON.parse(json);
  } catch {
    log(`a batch that is not JSON: ${String(json).slice(0, 200)}`);
    return;
  }
  let st = pageOrder.get(page);
  if (!st) {
    st = { next: 1, held: new Map() };
    pageOrder.set(page, st);
  }
  st.held.set(msg.batch, msg.reports);
  while (st.held.has(st.next)) {
    const reports = st.held.get(st.next);
    st.held.delete(st.next);
    st.next += 1;
    for (const r of reports) {
      const s = byKey.get(r.stream);
      if (!s) continue; // failed by the adapter already
      if (r.kind === 'closed' || r.kind === 'failure') forget(s);
      send({ ...r, stream: s.id });
    }
  }
}

// The stream's socket slot is free again (after close(), or a failure).
function release(s) {
  if (s.released) return;
  s.released = true;
  const c = contexts[s.ctx];
  c.count.set(s.origin, c.count.get(s.origin) - 1);
}

function forget(s) {
  release(s);
  byKey.delete(s.key);
  if (streams.get(s.id) === s) streams.delete(s.id);
}

function fail(s, message) {
  if (byKey.get(s.key) !== s) return;
  forget(s);
  send({ stream: s.id, kind: 'failure', message });
}

async function pageFor(c, origin) {
  let p = c.pages.get(origin);
  if (!p) {
    p = (async () => {
      const page = await c.context.newPage();
      page.on('crash', () => crashed(`the page for ${origin} crashed`));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') log(`page ${origin}: console ${m.type()}: ${m.text()}`);
      });
      await page.goto(`${origin}/static/client.html`, { timeout: PAGE_TIMEOUT_MS });
      if (!(await page.evaluate(() => typeof window.ssespec === 'object'))) {
        throw new Error('the page did not define window.ssespec');
      }
      await page.addScriptTag(LIB_SCRIPT);
      await page.waitForFunction(() => typeof window.EventSourcePolyfill === 'function', null, { timeout: PAGE_TIMEOUT_MS });
      return page;
    })();
    c.pages.set(origin, p);
    p.catch(() => c.pages.delete(origin));
  }
  return p;
}

// ---------------------------------------------------------------- commands

// Commands are carried out as they come, each stream's in order (a close
// waits for its open); streams do not wait for one another, so a page that
// is still loading holds up only the streams that need it.
function open(id, url, types) {
  if (streams.has(id)) return send({ stream: id, kind: 'failure', message: `stream ${id} is already open` });
  if (byKey.size >= MAX_STREAMS) return send({ stream: id, kind: 'failure', message: `more than ${MAX_STREAMS} streams` });
  if (typeof url !== 'string') return send({ stream: id, kind: 'failure', message: 'open needs a "url" string' });
  if (types !== undefined && !(Array.isArray(types) && types.every((t) => typeof t === 'string'))) {
    return send({ stream: id, kind: 'failure', message: '"types" must be an array of strings' });
  }
  let origin;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not an http or https URL');
    origin = u.origin;
  } catch (err) {
    return send({ stream: id, kind: 'failure', message: `cannot use the URL ${url}: ${err.message}` });
  }
  // The first context with a free socket slot for this origin.
  const ci = contexts.findIndex((c) => (c.count.get(origin) || 0) < SLOTS);
  if (ci < 0) return send({ stream: id, kind: 'failure', message: `no free socket slot for ${origin}` });
  const c = contexts[ci];
  c.count.set(origin, (c.count.get(origin) || 0) + 1);
  opens += 1;
  const s = { id, key: `${id}#${opens}`, origin, ctx: ci, released: false, page: null };
  streams.set(id, s);
  byKey.set(s.key, s);
  s.ready = (async () => {
    try {
      s.page = await pageFor(c, origin);
      await s.page.evaluate(([k, u, t]) => window.ssespec.open(k, u, t), [s.key, url, types ?? []]);
    } catch (err) {
      fail(s, `cannot open in ${origin}/static/client.html: ${String(err?.message ?? err).split('\n')[0]}`);
    }
  })();
  return s.ready;
}

async function close(id) {
  const s = streams.get(id);
  if (!s) return send({ stream: id, kind: 'failure', message: `stream ${id} is not open` });
  // The id is free for a new open at once; the page reports "closed" after
  // es.close(), behind every report the stream made before it.
  streams.delete(id);
  await s.ready;
  if (byKey.get(s.key) !== s) return undefined; // the open failed: reported already
  try {
    await s.page.evaluate((k) => window.ssespec.close(k), s.key);
    release(s); // close() has given the socket back
  } catch (err) {
    fail(s, `close failed: ${String(err?.message ?? err).split('\n')[0]}`);
  }
  return undefined;
}

function command(line) {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    log(`not JSON: ${line.slice(0, 200)}`);
    return Promise.resolve();
  }
  if (cmd === null || typeof cmd !== 'object' || Array.isArray(cmd) || typeof cmd.stream !== 'string') {
    log(`a command needs a "stream" string: ${line.slice(0, 200)}`);
    return Promise.resolve();
  }
  if (cmd.cmd === 'open') return open(cmd.stream, cmd.url, cmd.types);
  if (cmd.cmd === 'close') return close(cmd.stream);
  send({ stream: cmd.stream, kind: 'failure', message: `unknown command ${JSON.stringify(cmd.cmd)}` });
  return Promise.resolve();
}

process.on('uncaughtException', (err) => {
  log(`uncaught exception: ${err?.stack ?? err}`);
  crashed('the adapter failed');
});
process.on('unhandledRejection', (err) => log(`unhandled rejection: ${err?.stack ?? err}`));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => shutdown(1));

try {
  for (let i = 0; i < CONTEXTS; i += 1) contexts.push(await newContext());
} catch (err) {
  log(`cannot create a browser context: ${err.message}`);
  await shutdown(2);
}

send({
  hello: {
    name: LIB_PACKAGE,
    version: libVersion,
    browser: `Chromium ${browser.version()}`,
    // The library's requests are the browser's XMLHttpRequest or fetch, made
    // with the Fetch standard's fetch (docs/rules.md, C1-cache).
    fetch: true,
    reports: ['open', 'event', 'error', 'closed', 'failure'],
    max_streams: MAX_STREAMS,
  },
});

const pending = new Set();
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (line.trim() === '') return;
  const p = Promise.resolve(command(line)).catch((err) => log(`command failed: ${err?.stack ?? err}`));
  pending.add(p);
  p.finally(() => pending.delete(p));
});
rl.on('close', () => {
  Promise.allSettled([...pending]).then(() => shutdown(0));
});
