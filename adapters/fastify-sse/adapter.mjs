// ssespec server adapter for the npm package @fastify/sse (pinned in
// package.json, with fastify itself).
//
// Speaks the server adapter protocol (docs/server-adapter-protocol.md) on
// stdin/stdout. The SSE endpoint is a fastify app with the plugin registered
// with its defaults but one, the documented `serializer` option, set as the
// README's "Custom Serialization" example does so that a data string is
// written as it is instead of as JSON text; and a route declared `{ sse: 'only' }` (the README's
// form for an SSE-only route), written the way the README's "Connection
// Management" section shows: reply.sse.keepAlive() so that the stream
// outlives the handler, one reply.sse.send(message) per message,
// reply.sse.close() to end, reply.sse.onClose() to notice the client going
// away. The handler also calls reply.sse.sendHeaders() (a documented method,
// "Manually send headers") so that the response is committed as SSE before
// the handler returns; it calls writeHead() only, so Node.js still holds the
// head until the first body write (README.md, "Limitations"). Encode requests run the same route in-process through
// fastify's inject() and answer with the body bytes it collected.
// README.md beside this file has the details.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { readFileSync } from 'node:fs';

import { claim, has, newJob, runServerAdapter } from '../lib/server-protocol.mjs';

let Fastify;
let fastifySSE;
try {
  ({ default: Fastify } = await import('fastify'));
  ({ default: fastifySSE } = await import('@fastify/sse'));
} catch (err) {
  process.stderr.write(`@fastify/sse adapter: cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}\n`);
  process.exit(2);
}

const NAME = '@fastify/sse';
// The version npm installed, from the package's own package.json.
const VERSION = JSON.parse(readFileSync(new URL('./node_modules/@fastify/sse/package.json', import.meta.url), 'utf8')).version;
// No "comment": SSEMessage has id, event, data and retry; the plugin writes
// comments only for its own heartbeat.
const FIELDS = ['data', 'event', 'id', 'retry'];
const ENCODE = true;

// The plugin-level serializer exactly as the README's "Custom Serialization"
// section writes it: a string passes through, anything else is JSON. The
// default, JSON.stringify, would quote every data string and escape its
// line breaks.
const SERIALIZER = (data) => (typeof data === 'string' ? data : JSON.stringify(data));

const app = Fastify({ logger: false });
await app.register(fastifySSE, { serializer: SERIALIZER });

app.get('/events', { sse: 'only' }, async (request, reply) => {
  const slot = claim(new URL(request.raw.url ?? '/', 'http://127.0.0.1').searchParams, request.raw);
  if (!slot) return reply.code(400).type('text/plain').send('this endpoint needs ?ssespec-stream=<id>\n');
  reply.sse.keepAlive();
  reply.sse.onClose(() => slot.gone());
  reply.sse.sendHeaders();
  slot.attach({
    // One library call per message, the message object as it came.
    send: async (message) => {
      if (has(message, 'comment')) throw new Error(`@fastify/sse ${VERSION} cannot send a comment: reply.sse.send() takes SSE messages (id, event, data, retry) only`);
      await reply.sse.send(message);
    },
    end: async () => reply.sse.close(),
  });
  return undefined;
});

async function start() {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${app.server.address().port}/events`;
}

async function encode(messages) {
  const { token, job, done, drop } = newJob(messages);
  try {
    const res = await app.inject({ method: 'GET', url: `/events?ssespec-encode=${token}` });
    if (!job.claimed) throw new Error(`adapter: the app did not take the encode request (status ${res.statusCode})`);
    await done;
    if (job.error) throw job.error;
    return res.rawPayload;
  } finally {
    drop();
  }
}

await runServerAdapter({ name: NAME, version: VERSION, fields: FIELDS, encode: ENCODE, start, encodeMessages: encode });
