// ssespec server adapter for the npm package better-sse (pinned in
// package.json).
//
// Speaks the server adapter protocol (docs/server-adapter-protocol.md) on
// stdin/stdout. better-sse is framework-agnostic; its docs show it on
// Node.js's HTTP module (Express), so the SSE endpoint is a node:http
// server whose handler does `const session = await createSession(req, res,
// options)`, as the docs' getting-started guide does, with two documented
// options set: `serializer`, so that a data string is written as it is
// instead of as JSON text (the default, JSON.stringify), and `retry: null`,
// so that no reconnection time is sent unasked (OPTIONS below). Each
// message is one session.batch() call writing the message's fields through
// the EventBuffer field methods the docs describe ("Send individual event
// fields": event(), id(), retry(), data(), comment(), dispatch()); ending is
// res.end() (the docs' FAQ), and the session's "disconnected" event is the
// client going away. Encode requests write the same calls into a fresh
// createEventBuffer(options) and answer with buffer.read(). README.md beside this
// file has the details, and why push() is not the call used.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import { claim, has, log, runServerAdapter } from '../lib/server-protocol.mjs';

let betterSse;
try {
  betterSse = await import('better-sse');
} catch (err) {
  process.stderr.write(`better-sse adapter: cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}\n`);
  process.exit(2);
}
const { createEventBuffer, createSession } = betterSse;

const NAME = 'better-sse';
// The version npm installed, from the package's own package.json.
const VERSION = JSON.parse(readFileSync(new URL('./node_modules/better-sse/package.json', import.meta.url), 'utf8')).version;
const FIELDS = ['data', 'event', 'id', 'retry', 'comment'];
const ENCODE = true;

// The options the adapter sets, on the session and on the encoder's
// EventBuffer alike: better-sse's documented `serializer` ("Serialize data
// to a string that can be written over the wire", default JSON.stringify),
// so that a data string goes to the wire as the caller gave it, through the
// library's sanitizer, instead of as JSON text (which would quote every
// value and escape every line break). The same shape as @fastify/sse's
// README example of a custom serializer.
// retry: null is the documented way "to avoid sending an explicit
// reconnection time": the harness judges the messages it asked for, and a
// reconnection time nobody asked for is an extra field (the protocol's rule).
const OPTIONS = {
  serializer: (data) => (typeof data === 'string' ? data : JSON.stringify(data)),
  retry: null,
};

// One message through an EventBuffer's field methods, the values as they
// came: a comment is comment(text) then dispatch() (the library's own
// keep-alive writes comment().dispatch()); an event or a retry alone is
// event(), id(), retry(), data() for the fields it has, then dispatch().
function writeMessage(buffer, message) {
  if (has(message, 'comment')) {
    buffer.comment(message.comment).dispatch();
    return;
  }
  if (has(message, 'event')) buffer.event(message.event);
  if (has(message, 'id')) buffer.id(message.id);
  if (has(message, 'retry')) buffer.retry(message.retry);
  if (has(message, 'data')) buffer.data(message.data);
  buffer.dispatch();
}

async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname !== '/events') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  const slot = claim(url.searchParams, req);
  if (!slot) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('this endpoint needs ?ssespec-stream=<id>\n');
    return;
  }
  let session;
  try {
    session = await createSession(req, res, OPTIONS);
  } catch (err) {
    slot.fail(err);
    return;
  }
  session.once('disconnected', () => slot.gone());
  slot.attach({
    // One library call per message.
    send: (message) => session.batch((buffer) => writeMessage(buffer, message)),
    // The docs' FAQ: "close the underlying connection by calling
    // ServerResponse#end".
    end: async () => {
      res.end();
    },
  });
}

async function start() {
  const server = createServer((req, res) => {
    handle(req, res).catch((err) => log(`handler: ${err?.stack ?? err}`));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return `http://127.0.0.1:${server.address().port}/events`;
}

// better-sse's own encoder: a fresh EventBuffer with the session's options
// (the string-passing serializer above, the default sanitizer).
async function encode(messages) {
  const buffer = createEventBuffer(OPTIONS);
  for (const message of messages) writeMessage(buffer, message);
  return Buffer.from(buffer.read(), 'utf8');
}

await runServerAdapter({ name: NAME, version: VERSION, fields: FIELDS, encode: ENCODE, start, encodeMessages: encode });
