// ssespec client adapter for the npm package eventsource (pinned in
// package.json), on Node.js's built-in fetch.
//
// Speaks the client adapter protocol (docs/client-adapter-protocol.md): a
// hello line, then JSON commands on stdin (`open`, `close`) and JSON reports
// on stdout (`open`, `event`, `error`, `closed`, `failure`), many streams at
// once. Each `open` is one `new EventSource(url)` with default options, as a
// user would write it; README.md beside this file says what is reported and
// how the test CA is trusted.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAX_STREAMS = 128;
const SELF = fileURLToPath(import.meta.url);
const CHILD_MARK = 'SSESPEC_EVENTSOURCE_ADAPTER_CHILD';

function die(message, status) {
  process.stderr.write(`eventsource adapter: ${message}\n`);
  process.exit(status);
}

// ---------------------------------------------------------------- TLS trust
//
// Node.js reads NODE_EXTRA_CA_CERTS once, when the process starts, and its
// fetch (undici) verifies against the default store plus those certificates.
// The test CA arrives in SSESPEC_CA_FILE, so this process starts a copy of
// itself with NODE_EXTRA_CA_CERTS set and waits for it; the copy inherits
// stdin, stdout and stderr, so it speaks to the harness directly.

const caFile = process.env.SSESPEC_CA_FILE;
if (caFile && !process.env[CHILD_MARK]) {
  let pem;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (err) {
    die(`cannot read SSESPEC_CA_FILE ${caFile}: ${err.message}`, 1);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    die(`SSESPEC_CA_FILE ${caFile} holds no PEM certificate`, 1);
  }
  let extra = caFile;
  let tmp = null;
  const had = process.env.NODE_EXTRA_CA_CERTS;
  if (had && had !== caFile) {
    // Keep what the user trusted already: NODE_EXTRA_CA_CERTS names one file.
    try {
      tmp = mkdtempSync(join(tmpdir(), 'ssespec-eventsource-'));
      extra = join(tmp, 'ca.pem');
      writeFileSync(extra, `${readFileSync(had, 'utf8')}\n${pem}`);
    } catch (err) {
      die(`cannot combine NODE_EXTRA_CA_CERTS ${had} with ${caFile}: ${err.message}`, 1);
    }
  }
  const child = spawn(process.execPath, [...process.execArgv, SELF, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: extra, [CHILD_MARK]: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => child.kill(sig));
  }
  child.on('error', (err) => die(`cannot start ${process.execPath}: ${err.message}`, 1));
  child.on('exit', (code, signal) => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
  });
} else {
  await main();
}

// ---------------------------------------------------------------- the adapter

async function main() {
  const require = createRequire(import.meta.url);
  let EventSource;
  let libVersion;
  try {
    ({ EventSource } = await import('eventsource'));
    libVersion = require('eventsource/package.json').version;
  } catch (err) {
    die(`cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}`, 2);
  }

  // process.stdout is synchronous for pipes in Node.js: a harness slow to
  // read would stall the event loop, and with it every stream's timers and
  // sockets (an EOF noticed after a reconnection timer has fired makes
  // undici reuse a connection the server has closed). So the lines go
  // through an fs.WriteStream on fd 1 (written off the event loop, in
  // order), gathered per turn of the loop.
  const out = createWriteStream(null, { fd: 1, autoClose: false });
  out.on('error', (err) => die(`cannot write to stdout: ${err.message}`, 1));
  let pending = [];
  function flush() {
    const data = pending.join('');
    pending = [];
    out.write(data);
  }
  function send(obj) {
    if (pending.length === 0) setImmediate(flush);
    pending.push(`${JSON.stringify(obj)}\n`);
  }
  function exit(status) {
    if (pending.length) flush();
    out.end(() => process.exit(status));
  }

  send({
    hello: {
      name: 'eventsource',
      version: libVersion,
      reports: ['open', 'event', 'error', 'closed', 'failure'],
      max_streams: MAX_STREAMS,
      fetch: true, // eventsource 3 and later make their requests with fetch()
    },
  });

  const streams = new Map(); // stream id -> EventSource
  const failure = (stream, message) => send({ stream, kind: 'failure', message });

  function open(stream, url, types) {
    if (streams.has(stream)) return failure(stream, `stream ${stream} is already open`);
    if (streams.size >= MAX_STREAMS) return failure(stream, `more than ${MAX_STREAMS} streams`);
    if (typeof url !== 'string') return failure(stream, 'open needs a "url" string');
    if (types !== undefined && !(Array.isArray(types) && types.every((t) => typeof t === 'string'))) {
      return failure(stream, '"types" must be an array of strings');
    }
    let es;
    try {
      es = new EventSource(url);
    } catch (err) {
      return failure(stream, `new EventSource() threw: ${err.message}`);
    }
    streams.set(stream, es);
    // Each handler checks that its EventSource is still the stream's: after
    // `close` nothing more is reported for it (an id may be opened again).
    const live = () => streams.get(stream) === es;
    es.onopen = () => {
      if (live()) send({ stream, kind: 'open' });
    };
    es.onerror = (ev) => {
      // readyState as the library has it while its error event is dispatched.
      if (live()) send({ stream, kind: 'error', readyState: es.readyState });
      const detail = [ev?.code, ev?.message].filter((x) => x !== undefined && x !== '').join(' ');
      if (detail) process.stderr.write(`eventsource adapter: ${stream}: error event: ${detail}\n`);
    };
    for (const type of new Set(['message', ...(types ?? [])])) {
      es.addEventListener(type, (ev) => {
        // A listener for a type named "open" or "error" also sees the
        // library's own events of that name: only messages are events.
        if (!live() || typeof ev.data !== 'string') return;
        send({ stream, kind: 'event', type: ev.type, data: ev.data, lastEventId: ev.lastEventId });
      });
    }
    return undefined;
  }

  function close(stream) {
    const es = streams.get(stream);
    if (!es) return failure(stream, `stream ${stream} is not open`);
    streams.delete(stream);
    try {
      es.close();
    } catch (err) {
      return failure(stream, `close() threw: ${err.message}`);
    }
    send({ stream, kind: 'closed' });
    return undefined;
  }

  function command(line) {
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch (err) {
      process.stderr.write(`eventsource adapter: not JSON: ${line.slice(0, 200)}\n`);
      return;
    }
    if (cmd === null || typeof cmd !== 'object' || Array.isArray(cmd) || typeof cmd.stream !== 'string') {
      process.stderr.write(`eventsource adapter: a command needs a "stream" string: ${line.slice(0, 200)}\n`);
      return;
    }
    if (cmd.cmd === 'open') open(cmd.stream, cmd.url, cmd.types);
    else if (cmd.cmd === 'close') close(cmd.stream);
    else failure(cmd.stream, `unknown command ${JSON.stringify(cmd.cmd)}`);
  }

  // A library bug must not take the other streams down: report it on stderr.
  process.on('uncaughtException', (err) => {
    process.stderr.write(`eventsource adapter: uncaught exception: ${err?.stack ?? err}\n`);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`eventsource adapter: unhandled rejection: ${err?.stack ?? err}\n`);
  });

  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (line.trim() !== '') command(line);
  });
  rl.on('close', () => {
    for (const es of streams.values()) {
      try {
        es.close();
      } catch {
        // exiting anyway
      }
    }
    streams.clear();
    exit(0);
  });
}
