// ssespec server adapter for the npm package h3 (pinned in package.json).
//
// Speaks the server adapter protocol (docs/server-adapter-protocol.md) on
// stdin/stdout. The SSE endpoint is an h3 app served by h3's own serve()
// (srvx on Node.js), written the way h3's docs show: createEventStream(event),
// push() for events, pushComment() for comments, close() to end, onClosed()
// to notice the client going away, `return eventStream.send()`. Encode
// requests run the same handler in-process through app.fetch() and answer
// with the response body's bytes. README.md beside this file has the details.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { readFileSync } from 'node:fs';

import { claim, has, newJob, runServerAdapter } from '../lib/server-protocol.mjs';

let h3;
try {
  h3 = await import('h3');
} catch (err) {
  process.stderr.write(`h3 adapter: cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}\n`);
  process.exit(2);
}
const { H3, createEventStream, serve } = h3;

const NAME = 'h3';
// The version npm installed, from the package's own package.json.
const VERSION = JSON.parse(readFileSync(new URL('./node_modules/h3/package.json', import.meta.url), 'utf8')).version;
const FIELDS = ['data', 'event', 'id', 'retry', 'comment'];
const ENCODE = true;

const app = new H3();

app.get('/events', (event) => {
  const nodeReq = event.req.runtime?.node?.req;
  const slot = claim(event.url.searchParams, nodeReq, event.url.pathname + event.url.search);
  if (!slot) return new Response('this endpoint needs ?ssespec-stream=<id>\n', { status: 400 });
  const eventStream = createEventStream(event);
  eventStream.onClosed(() => slot.gone());
  slot.attach({
    // One library call per message, the message object as it came.
    send: (message) => (has(message, 'comment') ? eventStream.pushComment(message.comment) : eventStream.push(message)),
    end: () => eventStream.close(),
  });
  return eventStream.send();
});

async function start() {
  const server = serve(app, { port: 0, hostname: '127.0.0.1', silent: true });
  await server.ready();
  return `http://127.0.0.1:${server.node.server.address().port}/events`;
}

async function encode(messages) {
  const { token, job, done, drop } = newJob(messages);
  try {
    const res = await app.fetch(new Request(`http://127.0.0.1/events?ssespec-encode=${token}`));
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
