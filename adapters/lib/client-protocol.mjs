// The client adapter protocol (docs/client-adapter-protocol.md) for the
// bundled Node.js client adapters: every adapters/NAME/adapter.mjs of a
// Node.js library imports this module, writes its library part (load(): the
// library and its version; hello(lib): the hello's fields; openStream(lib,
// url, types, report, note): one client, reporting what it sees) and calls
// runClientAdapter() (eventSourceStreams() is the openStream of a library
// with the standard EventSource interface). This module writes the hello, reads `open` and
// `close` commands on stdin, writes reports on stdout for many streams at
// once, and makes Node.js trust the test CA of SSESPEC_CA_FILE.

import { spawn } from 'node:child_process';
import { Console } from 'node:console';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAX_STREAMS = 128;
const CHILD_MARK = 'SSESPEC_CLIENT_ADAPTER_CHILD';
let ADAPTER = 'client'; // set by runClientAdapter()

export function log(message) {
  process.stderr.write(`${ADAPTER} adapter: ${message}\n`);
}

export function die(message, status) {
  log(message);
  process.exit(status);
}

// stdout carries the protocol only: whatever a library logs with console.*
// goes to stderr.
globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });

// Run the adapter: name is the adapter's folder name (for messages), self
// the adapter file's import.meta.url; library = { load, hello, openStream }.
export function runClientAdapter(name, self, library) {
  ADAPTER = name;
  return withTrust(self, library);
}

// The openStream of an adapter whose library has the standard EventSource
// interface (classOf(lib) gives the constructor): one EventSource per stream
// with default options, the way an application would write it; handlers as
// the standard names them.
export function eventSourceStreams(classOf) {
  return (lib, url, types, report, note) => {
    const es = new (classOf(lib))(url);
    es.onopen = (ev) => {
      if (typeof ev?.data === 'string') return; // a message event named "open"
      report({ kind: 'open' });
    };
    es.onerror = (ev) => {
      if (typeof ev?.data === 'string') return; // a message event named "error"
      // readyState as the client has it while its error event is dispatched.
      report({ kind: 'error', readyState: es.readyState });
      const detail = [ev?.status, ev?.code, ev?.message].filter((x) => x !== undefined && x !== '').join(' ');
      if (detail) note(`error event: ${detail}`);
    };
    for (const type of types) {
      es.addEventListener(type, (ev) => {
        // A listener for a type named "open" or "error" also sees the
        // client's own events of that name: only messages are events.
        if (typeof ev?.data !== 'string') return;
        report({ kind: 'event', type: ev.type, data: ev.data, lastEventId: ev.lastEventId });
      });
    }
    return { close: () => es.close() };
  };
}

// ---------------------------------------------------------------- the adapter

async function main({ load, hello, openStream }) {
  const lib = await load();

  // process.stdout is synchronous for pipes in Node.js: a harness slow to
  // read would stall the event loop, and with it every stream's timers and
  // sockets. So the lines go through an fs.WriteStream on fd 1 (written off
  // the event loop, in order), gathered per turn of the loop.
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

  send({ hello: { ...hello(lib), max_streams: MAX_STREAMS } });

  const streams = new Map(); // stream id -> {handle}
  const failure = (stream, message) => send({ stream, kind: 'failure', message });

  function open(stream, url, types) {
    if (streams.has(stream)) return failure(stream, `stream ${stream} is already open`);
    if (streams.size >= MAX_STREAMS) return failure(stream, `more than ${MAX_STREAMS} streams`);
    if (typeof url !== 'string') return failure(stream, 'open needs a "url" string');
    if (types !== undefined && !(Array.isArray(types) && types.every((t) => typeof t === 'string'))) {
      return failure(stream, '"types" must be an array of strings');
    }
    const entry = { handle: null };
    streams.set(stream, entry);
    // Nothing is reported for a stream after its close (an id may be opened
    // again): every report goes through this check.
    const live = () => streams.get(stream) === entry;
    const report = (obj) => {
      if (live()) send({ stream, ...obj });
    };
    const note = (message) => log(`${stream}: ${message}`);
    try {
      entry.handle = openStream(lib, url, [...new Set(['message', ...(types ?? [])])], report, note);
    } catch (err) {
      streams.delete(stream);
      return failure(stream, `the client could not be created: ${err?.message ?? err}`);
    }
    return undefined;
  }

  function close(stream) {
    const entry = streams.get(stream);
    if (!entry) return failure(stream, `stream ${stream} is not open`);
    streams.delete(stream);
    try {
      entry.handle.close();
    } catch (err) {
      return failure(stream, `close threw: ${err?.message ?? err}`);
    }
    send({ stream, kind: 'closed' });
    return undefined;
  }

  function command(line) {
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch {
      log(`not JSON: ${line.slice(0, 200)}`);
      return;
    }
    if (cmd === null || typeof cmd !== 'object' || Array.isArray(cmd) || typeof cmd.stream !== 'string') {
      log(`a command needs a "stream" string: ${line.slice(0, 200)}`);
      return;
    }
    if (cmd.cmd === 'open') open(cmd.stream, cmd.url, cmd.types);
    else if (cmd.cmd === 'close') close(cmd.stream);
    else failure(cmd.stream, `unknown command ${JSON.stringify(cmd.cmd)}`);
  }

  // A library bug must not take the other streams down: report it on stderr.
  process.on('uncaughtException', (err) => log(`uncaught exception: ${err?.stack ?? err}`));
  process.on('unhandledRejection', (err) => log(`unhandled rejection: ${err?.stack ?? err}`));

  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (line.trim() !== '') command(line);
  });
  rl.on('close', () => {
    for (const entry of streams.values()) {
      try {
        entry.handle.close();
      } catch {
        // exiting anyway
      }
    }
    streams.clear();
    exit(0);
  });
}

// ---------------------------------------------------------------- TLS trust
//
// Node.js reads NODE_EXTRA_CA_CERTS once, when the process starts; its https
// module and its fetch (undici) verify against the default store plus those
// certificates. The test CA arrives in SSESPEC_CA_FILE, so this process
// starts a copy of itself with NODE_EXTRA_CA_CERTS set and waits for it; the
// copy inherits stdin, stdout and stderr and speaks to the harness directly.

// main(), or, in the first process when a CA file is given, a copy of the
// adapter's own file (self: its import.meta.url) that runs main().
function withTrust(self, library) {
  const caFile = process.env.SSESPEC_CA_FILE;
  if (!caFile || process.env[CHILD_MARK]) return main(library);
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
      tmp = mkdtempSync(join(tmpdir(), 'ssespec-client-'));
      extra = join(tmp, 'ca.pem');
      writeFileSync(extra, `${readFileSync(had, 'utf8')}\n${pem}`);
    } catch (err) {
      die(`cannot combine NODE_EXTRA_CA_CERTS ${had} with ${caFile}: ${err.message}`, 1);
    }
  }
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(self), ...process.argv.slice(2)], {
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
  return undefined; // the copy speaks; this process waits for its exit
}
