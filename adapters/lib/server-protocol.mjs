// The server adapter protocol (docs/server-adapter-protocol.md) for the
// bundled Node.js server adapters: every adapters/NAME/adapter.mjs of a
// producer imports this module, gives it the library part (its name and
// version, the fields it carries, a start() that serves the SSE endpoint
// and returns its URL or null, an encode() that returns the bytes for a
// list of messages) and calls runServerAdapter(). This module reads JSON
// lines on stdin, answers encode requests in order, keeps a record per
// served stream and reports on stdout. The library part uses claim() to
// take a request for a stream, newJob() to run an encode request through
// its own handler, has() and log().

import { write as fsWrite } from 'node:fs';
import readline from 'node:readline';

// set once by runServerAdapter()
let NAME = 'server';
let ENCODE = false;
let url = null; // the served endpoint, or null (encode only)
let encode = async () => {
  throw new Error('no encode');
};

const STREAM_WAIT_MS = 10000; // a command for a stream whose request never came
const ENCODE_TIMEOUT_MS = 10000; // a response the library never ends
const EXIT_WAIT_MS = 5000; // encodes still running when stdin closes

// Libraries and their dependencies may log with console.log; stdout carries
// protocol lines only, so every console method writes to stderr.
for (const name of ['log', 'info', 'debug', 'warn', 'trace']) console[name] = console.error;

// process.stdout is synchronous for pipes: a harness slow to read would
// stall the event loop and every stream with it. Lines are written with
// fs.write() on fd 1 instead, gathered per turn of the event loop, one
// write at a time. fd 1 may be non-blocking: anything in the process that
// opens process.stdout (a library, a dependency) makes the pipe O_NONBLOCK.
// A full pipe then takes part of a write or answers EAGAIN, and the rest is
// written again a moment later (an fs.WriteStream treats that as an error).
const outQueue = [];
const outIdle = [];
let outBusy = false;
function pumpOut() {
  if (outBusy) return;
  if (outQueue.length === 0) {
    for (const resolve of outIdle.splice(0)) resolve();
    return;
  }
  outBusy = true;
  const buf = outQueue[0];
  fsWrite(1, buf, 0, buf.length, null, (err, written) => {
    outBusy = false;
    if (err) {
      if (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK' || err.code === 'EINTR') {
        setTimeout(pumpOut, 5);
        return;
      }
      process.stderr.write(`${NAME} adapter: cannot write to stdout: ${err.message}\n`);
      process.exit(1);
    }
    if (written < buf.length) outQueue[0] = buf.subarray(written);
    else outQueue.shift();
    pumpOut();
  });
}
let pendingOut = [];
function flushOut() {
  if (pendingOut.length === 0) return;
  outQueue.push(Buffer.from(pendingOut.join(''), 'utf8'));
  pendingOut = [];
  pumpOut();
}
// Resolves once every line emitted so far is on stdout.
function outDrained() {
  flushOut();
  if (!outBusy && outQueue.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    outIdle.push(resolve);
  });
}
function emit(obj) {
  if (pendingOut.length === 0) setImmediate(flushOut);
  pendingOut.push(`${JSON.stringify(obj)}\n`);
}
function log(text) {
  process.stderr.write(`${NAME} adapter: ${text}\n`);
}
// "TypeError: message" for an Error (its name says who threw it).
function errorText(err) {
  return String(err);
}
const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

// Request headers as the client sent them: lower-case names, a repeated
// header joined with ", " (Node's req.headers drops some repeats).
function headerObject(nodeReq) {
  const headers = {};
  const raw = nodeReq?.rawHeaders ?? [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    headers[name] = has(headers, name) ? `${headers[name]}, ${raw[i + 1]}` : raw[i + 1];
  }
  return headers;
}

// ---------------------------------------------------------------- streams
//
// A record per stream id. Commands queue on record.chain, which starts when
// the app's handler attaches the stream's controller ({send, end}); a
// command may arrive before the request does.

const streams = new Map();

function newRecord(id) {
  const rec = { id, ctl: null, claimed: false, ended: false, gone: false, orphan: false, count: 0, broken: null };
  rec.chain = new Promise((resolve) => {
    rec.ready = resolve;
  });
  // Commands for a stream whose request never comes each fail, in order.
  rec.timer = setTimeout(() => {
    if (rec.claimed) return;
    if (streams.get(id) === rec) streams.delete(id);
    rec.broken = `no request for stream ${id} reached the app within ${STREAM_WAIT_MS} ms`;
    rec.ready();
  }, STREAM_WAIT_MS);
  rec.timer.unref();
  streams.set(id, rec);
  return rec;
}

function report(rec, obj) {
  if (!rec.orphan) emit({ stream: rec.id, ...obj });
}

// The app's handler calls claim() with the request's query parameters and
// its Node.js request (for the report): null when the request names neither
// a stream nor an encode job, else a slot with attach(ctl), gone(), fail(err).
function claim(params, nodeReq, fallbackPath) {
  const token = params.get('ssespec-encode');
  if (token !== null) {
    const job = jobs.get(token);
    if (!job || job.claimed) return null;
    job.claimed = true;
    return {
      attach(ctl) {
        queueMicrotask(() => runJob(job, ctl));
      },
      gone() {},
      fail(err) {
        job.error ??= err;
        job.finished();
      },
    };
  }
  const id = params.get('ssespec-stream');
  if (id === null || id === '') return null;
  let rec = streams.get(id);
  if (rec && rec.claimed) {
    // The same id again (a reconnection): the old stream keeps running
    // unreported, commands go to the new one.
    log(`stream ${id}: a new request replaces the previous one`);
    rec.orphan = true;
    rec = null;
  }
  if (!rec) rec = newRecord(id);
  rec.claimed = true;
  clearTimeout(rec.timer);
  emit({
    stream: id,
    kind: 'request',
    method: nodeReq?.method ?? '',
    path: nodeReq?.url ?? fallbackPath ?? '',
    headers: headerObject(nodeReq),
  });
  return {
    attach(ctl) {
      rec.ctl = ctl;
      rec.ready();
    },
    gone() {
      if (rec.ended || rec.gone) return;
      rec.gone = true;
      report(rec, { kind: 'gone' });
    },
    fail(err) {
      rec.broken = errorText(err);
      report(rec, { kind: 'failure', message: rec.broken });
      rec.ready();
    },
  };
}

function command(cmd) {
  const id = cmd.stream;
  if (typeof id !== 'string') {
    log(`a command needs a "stream" string: ${JSON.stringify(cmd).slice(0, 200)}`);
    return;
  }
  if (cmd.cmd !== 'send' && cmd.cmd !== 'end') {
    emit({ stream: id, kind: 'failure', message: `unknown command ${JSON.stringify(cmd.cmd)}` });
    return;
  }
  if (!url) {
    emit({ stream: id, kind: 'failure', message: `${NAME} serves no streams (encode only)` });
    return;
  }
  if (cmd.cmd === 'send' && !Array.isArray(cmd.messages)) {
    emit({ stream: id, kind: 'failure', message: 'send needs a "messages" array' });
    return;
  }
  const rec = streams.get(id) ?? newRecord(id);
  if (cmd.cmd === 'send') {
    rec.chain = rec.chain.then(async () => {
      if (rec.broken !== null) return report(rec, { kind: 'failure', message: `stream ${id} failed: ${rec.broken}` });
      if (rec.ended) return report(rec, { kind: 'failure', message: `stream ${id} has ended` });
      for (const message of cmd.messages) {
        try {
          await rec.ctl.send(message);
        } catch (err) {
          return report(rec, { kind: 'failure', message: errorText(err) });
        }
        rec.count += 1;
      }
      return report(rec, { kind: 'sent', count: rec.count });
    });
  } else {
    // The record stays in `streams` once ended, so that a later command for
    // this stream is answered at once ("has ended") instead of waiting
    // STREAM_WAIT_MS for a request that will not come.
    rec.chain = rec.chain.then(async () => {
      if (rec.broken !== null) return report(rec, { kind: 'failure', message: `stream ${id} failed: ${rec.broken}` });
      if (rec.ended) return report(rec, { kind: 'failure', message: `stream ${id} has ended` });
      rec.ended = true;
      try {
        await rec.ctl.end();
      } catch (err) {
        report(rec, { kind: 'failure', message: errorText(err) });
      }
      return undefined;
    });
  }
}

// ---------------------------------------------------------------- encode
//
// An encode job runs through the same app handler as a served stream (when
// the library is a framework): the handler claims the job by its token,
// the messages are sent in order, the stream is ended, and the body the
// framework produced is the answer.

const jobs = new Map();
let jobSeq = 0;

async function runJob(job, ctl) {
  try {
    for (const message of job.messages) await ctl.send(message);
  } catch (err) {
    job.error ??= err;
  }
  try {
    await ctl.end();
  } catch (err) {
    job.error ??= err;
  }
  job.finished();
}

// Registers a job and returns {token, job, done}; done resolves when the
// handler has sent every message and ended the stream (or failed).
function newJob(messages) {
  const token = `${process.pid}-${++jobSeq}`;
  const job = { messages, error: null, claimed: false };
  const done = new Promise((resolve) => {
    job.finished = resolve;
  });
  jobs.set(token, job);
  return { token, job, done, drop: () => jobs.delete(token) };
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`adapter: ${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

let encodeChain = Promise.resolve();

function encodeRequest(req) {
  const caseName = req.case;
  encodeChain = encodeChain.then(async () => {
    if (!ENCODE) return emit({ case: caseName, error: `adapter: ${NAME} offers no encode` });
    if (!Array.isArray(req.messages)) return emit({ case: caseName, error: 'adapter: the request has no "messages" array' });
    try {
      const bytes = await withTimeout(encode(req.messages), ENCODE_TIMEOUT_MS, 'encode');
      return emit({ case: caseName, bytes: Buffer.from(bytes).toString('base64') });
    } catch (err) {
      return emit({ case: caseName, error: errorText(err) });
    }
  });
}

// ---------------------------------------------------------------- main

export { claim, has, log, newJob };

// Start the library's server (library.start()), write the hello line and
// serve the protocol until stdin closes; then the process exits.
export async function runServerAdapter(library) {
  NAME = library.name;
  ENCODE = library.encode;
  encode = library.encodeMessages;

  process.on('uncaughtException', (err) => log(`uncaught exception: ${err?.stack ?? err}`));
  process.on('unhandledRejection', (err) => log(`unhandled rejection: ${err?.stack ?? err}`));

  try {
    url = await library.start();
  } catch (err) {
    log(`cannot start: ${err?.stack ?? err}`);
    process.exit(1);
  }
  const hello = { name: NAME, version: library.version, fields: library.fields, encode: ENCODE };
  if (url) hello.url = url;
  emit({ hello });

  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    let obj;
    try {
      obj = JSON.parse(line);
    } catch {
      log(`not JSON: ${line.slice(0, 200)}`);
      return;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      log(`not a JSON object: ${line.slice(0, 200)}`);
    } else if (has(obj, 'cmd')) {
      command(obj);
    } else if (has(obj, 'case')) {
      encodeRequest(obj);
    } else {
      log(`neither a command nor an encode request: ${line.slice(0, 200)}`);
    }
  });
  rl.on('close', async () => {
    try {
      await withTimeout(encodeChain, EXIT_WAIT_MS, 'the last encode requests');
    } catch (err) {
      log(errorText(err));
    }
    await outDrained();
    process.exit(0);
  });
}
