// ssespec server adapter for the npm package fastify-sse-v2 (pinned in
// package.json, with fastify itself).
//
// Speaks the server adapter protocol (docs/server-adapter-protocol.md) on
// stdin/stdout. The SSE endpoint is a fastify app with the plugin registered
// with its defaults, written the way the plugin's README shows under
// "Sending individual events": one reply.sse(message) per message,
// reply.sseContext.source.end() to end, request.socket.on('close') to notice
// the client going away. Encode requests run the same route in-process
// through fastify's inject() and answer with the body bytes it collected.
// README.md beside this file has the details.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { readFileSync } from 'node:fs';

import { claim, newJob, runServerAdapter } from '../lib/server-protocol.mjs';

let Fastify;
let FastifySSEPlugin;
try {
  ({ default: Fastify } = await import('fastify'));
  ({ FastifySSEPlugin } = await import('fastify-sse-v2'));
} catch (err) {
  process.stderr.write(`fastify-sse-v2 adapter: cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}\n`);
  process.exit(2);
}

const NAME = 'fastify-sse-v2';
// The version npm installed, from the package's own package.json.
const VERSION = JSON.parse(readFileSync(new URL('./node_modules/fastify-sse-v2/package.json', import.meta.url), 'utf8')).version;
// Its EventMessage has id, event, data, retry and comment.
const FIELDS = ['data', 'event', 'id', 'retry', 'comment'];
const ENCODE = true;

const app = Fastify({ logger: false });
// retryDelay: false is the README's documented way "to disable the default
// behavior of sending retry": a reconnection time nobody asked for is an
// extra field under the server adapter protocol's rule.
await app.register(FastifySSEPlugin, { retryDelay: false });

app.get('/events', (request, reply) => {
  const slot = claim(new URL(request.raw.url ?? '/', 'http://127.0.0.1').searchParams, request.raw);
  if (!slot) {
    reply.code(400).type('text/plain').send('this endpoint needs ?ssespec-stream=<id>\n');
    return;
  }
  request.socket.on('close', () => slot.gone());
  slot.attach({
    // One library call per message, the message object as it came.
    send: async (message) => {
      reply.sse(message);
    },
    // The README: "the connection is kept open until you call
    // reply.sseContext.source.end()". The plugin creates sseContext on the
    // first reply.sse() call; before that there is no SSE stream to end.
    end: async () => {
      if (!reply.sseContext) {
        throw new Error('fastify-sse-v2 has no way to end an SSE reply before its first event: reply.sseContext is created by the first reply.sse() call');
      }
      reply.sseContext.source.end();
    },
  });
  // Returning undefined from a non-async handler leaves the reply open.
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
