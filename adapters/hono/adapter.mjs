// ssespec server adapter for the npm package hono (pinned in package.json)
// and its streamSSE() helper, served by @hono/node-server (also pinned), the
// server Hono's docs name for Node.js.
//
// Speaks the server adapter protocol (docs/server-adapter-protocol.md) on
// stdin/stdout. The SSE endpoint is written the way Hono's streaming helper
// docs show: `return streamSSE(c, async (stream) => { ... })`, with one
// stream.writeSSE() per message, stream.onAbort() to notice the client
// going away, and the callback returning to end the stream. Encode requests
// run the same handler in-process through app.request() and answer with the
// response body's bytes. README.md beside this file has the details.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { readFileSync } from 'node:fs';

import { claim, has, newJob, runServerAdapter } from '../lib/server-protocol.mjs';

let Hono;
let streamSSE;
let serve;
try {
  ({ Hono } = await import('hono'));
  ({ streamSSE } = await import('hono/streaming'));
  ({ serve } = await import('@hono/node-server'));
} catch (err) {
  process.stderr.write(`hono adapter: cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}\n`);
  process.exit(2);
}

const NAME = 'hono';
// The version npm installed, from the package's own package.json.
const VERSION = JSON.parse(readFileSync(new URL('./node_modules/hono/package.json', import.meta.url), 'utf8')).version;
// No "comment": SSEStreamingApi has writeSSE({data, event, id, retry}) and
// nothing for comments (only the raw write(), which is not an SSE call).
const FIELDS = ['data', 'event', 'id', 'retry'];
const ENCODE = true;

const app = new Hono();

app.get('/events', (c) => {
  const nodeReq = c.env?.incoming; // @hono/node-server's bindings; none in app.request()
  const url = new URL(c.req.url);
  const slot = claim(url.searchParams, nodeReq, url.pathname + url.search);
  if (!slot) return c.text('this endpoint needs ?ssespec-stream=<id>\n', 400);
  return streamSSE(c, async (stream) => {
    let finish;
    const finished = new Promise((resolve) => {
      finish = resolve;
    });
    stream.onAbort(() => {
      slot.gone();
      finish();
    });
    slot.attach({
      // One library call per message, the message object as it came.
      send: async (message) => {
        if (has(message, 'comment')) throw new Error(`hono ${VERSION} cannot send a comment: streamSSE's SSEStreamingApi has writeSSE() only, no comment method`);
        await stream.writeSSE(message);
      },
      // The callback returning is how a streamSSE() response ends.
      end: async () => finish(),
    });
    await finished;
  });
});

async function start() {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve(`http://127.0.0.1:${info.port}/events`);
    });
    server.once('error', reject);
  });
}

async function encode(messages) {
  const { token, job, done, drop } = newJob(messages);
  try {
    const res = await app.request(`/events?ssespec-encode=${token}`);
    const body = new Uint8Array(await res.arrayBuffer());
    if (!job.claimed) throw new Error(`adapter: the app did not take the encode request (status ${res.status})`);
    await done;
    if (job.error) throw job.error;
    return body;
  } finally {
    drop();
  }
}

await runServerAdapter({ name: NAME, version: VERSION, fields: FIELDS, encode: ENCODE, start, encodeMessages: encode });
