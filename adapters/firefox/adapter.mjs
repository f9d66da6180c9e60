// ssespec client adapter for Debian's Firefox ESR: the browser's own
// EventSource, headless, driven over WebDriver BiDi with puppeteer-core
// (pinned in package.json; it drives the installed firefox-esr and
// downloads no browser).
//
// Speaks the client adapter protocol (docs/client-adapter-protocol.md). One
// browser per run; for each origin of the stream URLs a few windows with the
// page {origin}/static/client.html, served by the scenario server from page/
// (a copy of adapters/chromium/page/, see README.md): its script holds the
// EventSources, so each one is same-origin with its page. Streams are opened
// and closed by evaluating ssespec.open()/ssespec.close() in a page; the page
// hands its reports, in batches and in the order the browser produced them,
// to window.ssespecDeliver, which this adapter defines to write them to the
// console, where they come back as WebDriver BiDi log events.
// README.md beside this file says how the test CA is trusted, which
// preferences are set and why max_streams is what it is.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { execFileSync } from 'node:child_process';
import { appendFileSync, accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';

const MAX_STREAMS = Number(process.env.SSESPEC_FIREFOX_STREAMS || 64);
const PAGES = Number(process.env.SSESPEC_FIREFOX_PAGES || 4);
const PAGE_TIMEOUT_MS = 30000;
// The first word of the console messages that carry reports.
const MARK = 'ssespec-reports ';
// SSESPEC_FIREFOX_TRACE=1: a stderr line, with the milliseconds since its
// open, for each command and each report other than an event of a stream
// (the harness shows a failed stream's lines in its report);
// SSESPEC_FIREFOX_TRACE=/a/file: the same lines, for every stream, appended
// to that file.
const TRACE = process.env.SSESPEC_FIREFOX_TRACE;

// Preferences on top of puppeteer-core's own (which already turn off
// updates, telemetry, safe browsing and first-run pages).
const PREFS = {
  // HTTP/1.1: Firefox opens at most 6 connections per host and port by
  // default and every stream of a run goes to 127.0.0.1 on one port: of 10
  // EventSources in one page, 6 requests reach the server (measured). 255 is
  // the most the pref takes.
  'network.http.max-persistent-connections-per-server': 255,
  'network.http.max-connections': 900,
  // A safeguard: setTimeout in a page that is not in front is clamped to 1 s
  // and budget-throttled, and the page sends its reports on a setTimeout(0).
  // Every page here is in front of a window of its own anyway.
  'dom.min_background_timeout_value': 4,
  'dom.min_background_timeout_value_without_budget_throttling': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
  'dom.suspend_inactive.enabled': false,
  // Keep the browser off a network it cannot reach here.
  'network.proxy.type': 0,
  'network.trr.mode': 5,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.predictor.enabled': false,
  'network.http.http3.enable': false,
  'security.OCSP.enabled': 0,
  'security.remote_settings.crlite_filters.enabled': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.server': '',
  'extensions.blocklist.enabled': false,
};

function log(message) {
  process.stderr.write(`firefox adapter: ${message}\n`);
}

function die(message, status) {
  log(message);
  process.exit(status);
}

const TRACE_FILE = TRACE?.includes('/') ? TRACE : null;
function trace(s, what) {
  if (!TRACE) return;
  const now = performance.now();
  const line = `stream ${s.id}: +${Math.round(now - s.t0)} ms (adapter clock ${Math.round(now)} ms) ${what}`;
  if (TRACE_FILE) appendFileSync(TRACE_FILE, `${line}\n`);
  else log(line);
}

function send(obj) {
  // Writes to a pipe are synchronous in Node.js on POSIX: lines never
  // interleave and go out in order.
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

// ---------------------------------------------------------------- the browser

function findFirefox() {
  const candidates = [process.env.SSESPEC_FIREFOX, '/usr/lib/firefox-esr/firefox-esr', '/usr/bin/firefox-esr',
    '/usr/bin/firefox'].filter(Boolean);
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return die(`Firefox not found (tried ${candidates.join(', ')}); install it with: apt-get install -y firefox-esr`, 2);
}

// The test CA: the profile's own NSS database (cert9.db, where Firefox keeps
// the certificate authorities a user added) holds it as a trusted CA for web
// sites, so certificates are verified for real. Without certutil (Debian's
// libnss3-tools) the fallback is to accept certificates Firefox cannot
// verify, said on stderr.
function trustSetup(profile) {
  const caFile = process.env.SSESPEC_CA_FILE;
  if (!caFile) return { how: 'none' };
  let pem;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (err) {
    return die(`cannot read SSESPEC_CA_FILE ${caFile}: ${err.message}`, 1);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) die(`SSESPEC_CA_FILE ${caFile} holds no PEM certificate`, 1);
  if (process.env.SSESPEC_FIREFOX_TLS === 'ignore') return { how: 'ignore' };
  try {
    const opts = { stdio: ['ignore', 'ignore', 'pipe'] };
    execFileSync('certutil', ['-d', `sql:${profile}`, '-N', '--empty-password'], opts);
    // Every certificate in the file, each under its own nickname.
    const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    certs.forEach((cert, i) => {
      execFileSync('certutil', ['-d', `sql:${profile}`, '-A', '-t', 'C,,', '-n', `ssespec-test-ca-${i}`],
        { ...opts, input: cert, stdio: ['pipe', 'ignore', 'pipe'] });
    });
    return { how: 'nss' };
  } catch (err) {
    log(`cannot put the test CA into the profile's NSS database (${err.code === 'ENOENT' ? 'certutil is missing: apt-get install -y libnss3-tools' : err.message}); accepting certificates that cannot be verified instead`);
    return { how: 'ignore' };
  }
}

const require = createRequire(import.meta.url);
let puppeteer;
let ppVersion;
try {
  puppeteer = (await import('puppeteer-core')).default;
  ppVersion = require('puppeteer-core/package.json').version;
} catch (err) {
  die(`cannot load puppeteer-core (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}`, 2);
}

const executablePath = findFirefox();
const home = mkdtempSync(join(tmpdir(), 'ssespec-firefox-'));
const profile = join(home, 'profile');
mkdirSync(profile);
const trust = trustSetup(profile);
let browser;
try {
  browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath,
    headless: true,
    userDataDir: profile,
    extraPrefsFirefox: PREFS,
    acceptInsecureCerts: trust.how === 'ignore',
    // MOZ_HEADLESS too: a Firefox process that starts another (a restart)
    // stays headless.
    env: { ...process.env, HOME: home, MOZ_HEADLESS: '1', MOZ_CRASHREPORTER_DISABLE: '1' },
    timeout: 60000,
    protocolTimeout: 60000,
    defaultViewport: null,
    // No network.* events: with them Firefox watches every request and
    // response of the run (and puppeteer-core asks it to keep response
    // bodies too), a cost on every stream for nothing the adapter uses.
    networkEnabled: false,
  });
} catch (err) {
  rmSync(home, { recursive: true, force: true });
  die(`cannot start ${executablePath}: ${err.message}`, 2);
}
// "firefox/153.8.0" or the like
let browserVersion;
try {
  browserVersion = String(await browser.version()).replace(/^[^/]*\//, '');
} catch (err) {
  browser.process()?.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
  die(`the browser does not answer: ${err.message}`, 2);
}
log(`${executablePath} ${browserVersion}, puppeteer-core ${ppVersion} (WebDriver BiDi), TLS trust: ${trust.how}`);

// ---------------------------------------------------------------- state

let shuttingDown = false;
// Streams by the harness's id (those open now), and by the key the page
// knows them by: "id#n", new for every open, so that the reports of a closed
// stream never mix with those of a later stream of the same id.
const streams = new Map(); // id -> stream
const byKey = new Map(); // key -> stream
let opens = 0;
const pages = new Map(); // origin -> [{page: Promise<Page>, count}]

async function shutdown(status) {
  if (shuttingDown) return;
  shuttingDown = true;
  const timer = setTimeout(() => {
    try {
      browser.process()?.kill('SIGKILL');
    } catch {
      // gone already
    }
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

// Reports arrive in batches numbered per page; the numbers make sure they go
// out in the order the page made them.
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
      if (r.kind !== 'event') trace(s, `report ${r.kind}${r.kind === 'error' ? ` ${r.readyState}` : ''} (batch ${msg.batch})`);
      send({ ...r, stream: s.id });
    }
  }
}

// The stream no longer counts against its page (after close(), or a failure).
function release(s) {
  if (s.released || !s.slot) return;
  s.released = true;
  s.slot.count -= 1;
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

// The pages of an origin: PAGES of them, each in a window of its own. A
// stream goes to the page with the fewest streams, so that a heavy stream (a
// 1 MiB event, 10,000 events at once) holds up few others: Firefox spreads
// its windows over several content processes.
function pageFor(origin) {
  let list = pages.get(origin);
  if (!list) {
    list = Array.from({ length: PAGES }, () => ({ page: null, count: 0 }));
    pages.set(origin, list);
  }
  let slot = list[0];
  for (const p of list) if (p.count < slot.count) slot = p;
  slot.count += 1;
  if (!slot.page) {
    slot.page = loadPage(origin);
    slot.page.catch(() => { slot.page = null; });
  }
  return slot;
}

// A new window with a blank page, made ready for the page's script: a
// window of its own, so that the page is in front of its window, never a
// background tab.
async function newWindow() {
  const page = await browser.newPage({ type: 'window' });
  page.on('error', (err) => crashed(`a page crashed: ${err?.message ?? err}`));
  page.on('console', (m) => {
    const text = m.text();
    if (text.startsWith(MARK)) deliver(page, text.slice(MARK.length));
    else if (m.type() === 'error' || m.type() === 'warn') log(`page ${page.url()}: console ${m.type()}: ${text}`);
  });
  // The page's batches of reports come back as console messages (a
  // WebDriver BiDi log.entryAdded event each, one way), not through
  // page.exposeFunction(), whose every call costs several round trips
  // into the page and, with many streams, delayed reports by seconds.
  await page.evaluateOnNewDocument((mark) => {
    window.ssespecDeliver = (json) => console.debug(mark, json);
  }, MARK.trimEnd());
  return page;
}

// Windows made before the hello line (each takes a second or two to make,
// more when made all at once), waiting for their origin.
const blankWindows = [];

async function loadPage(origin) {
  const t0 = performance.now();
  const page = await (blankWindows.shift() ?? newWindow());
  const t1 = performance.now();
  try {
    await page.goto(`${origin}/static/client.html`, { timeout: PAGE_TIMEOUT_MS });
    if (!(await page.evaluate(() => typeof window.ssespec === 'object'))) {
      throw new Error('the page did not define window.ssespec');
    }
  } catch (err) {
    page.close().catch(() => {});
    throw err;
  }
  if (TRACE) log(`page ${origin}: window in ${Math.round(t1 - t0)} ms, loaded ${Math.round(performance.now() - t1)} ms later`);
  return page;
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
  opens += 1;
  const s = { id, key: `${id}#${opens}`, origin, page: null, t0: performance.now() };
  streams.set(id, s);
  byKey.set(s.key, s);
  s.ready = (async () => {
    try {
      s.slot = pageFor(origin);
      s.page = await s.slot.page;
      trace(s, 'page ready');
      await s.page.evaluate((k, u, t) => window.ssespec.open(k, u, t), s.key, url, types ?? []);
      trace(s, 'EventSource made');
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
  trace(s, 'close command');
  await s.ready;
  if (byKey.get(s.key) !== s) return undefined; // the open failed: reported already
  try {
    await s.page.evaluate((k) => window.ssespec.close(k), s.key);
    release(s);
    trace(s, 'close() done');
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
  for (let i = 0; i < 2 * PAGES; i += 1) blankWindows.push(newWindow());
  await Promise.all(blankWindows);
} catch (err) {
  log(`cannot open a window: ${err.message}`);
  await shutdown(2);
}

send({
  hello: {
    name: 'firefox',
    version: browserVersion,
    reports: ['open', 'event', 'error', 'closed', 'failure'],
    max_streams: MAX_STREAMS,
    fetch: true,
    h2: true,
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
