// ssespec server adapter for the npm package h3, pinned to 1.15.5: the last
// release before the fix for CVE-2026-33128 (SSE field injection), kept to
// show what the suite reports for a known-vulnerable producer.
//
// Speaks the server adapter protocol (docs/server-adapter-protocol.md) on
// stdin/stdout. The SSE endpoint is an h3 1.x app on a node:http server
// through toNodeListener(app), as h3 1.x's README shows, with the event
// stream written the way its docs show: createEventStream(event), push() for
// each message, close() to end, onClosed() to notice the client going away,
// `return eventStream.send()`. Encode requests run the same handler
// in-process through toWebHandler(app) and answer with the response body's
// bytes. README.md beside this file has the details.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import { claim, has, newJob, runServerAdapter } from '../lib/server-protocol.mjs';

let h3;
try {
  h3 = await import('h3');
} catch (err) {
  process.stderr.write(`h3 adapter: cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}\n`);
  process.exit(2);
}
const { createApp, createRouter, createEventStream, eventHandler, setResponseStatus, toNodeListener, toWebHandler } = h3;

const NAME = 'h3';
// The version npm installed, from the package's own package.json.
const VERSION = JSON.parse(readFileSync(new URL('./node_modules/h3/package.json', import.meta.url), 'utf8')).version;
// No "comment": h3 1.x's EventStream has push() only (pushComment() came
// with 2.x).
const FIELDS = ['data', 'event', 'id', 'retry'];
const ENCODE = true;

const app = createApp();
const router = createRouter();

router.get(
  '/events',
  eventHandler((event) => {
    const nodeReq = event.node.req;
    const slot = claim(new URL(nodeReq.url ?? '/', 'http://127.0.0.1').searchParams, nodeReq);
    if (!slot) {
      setResponseStatus(event, 400);
      return 'this endpoint needs ?ssespec-stream=<id>\n';
    }
    const eventStream = createEventStream(event);
    eventStream.onClosed(() => slot.gone());
    slot.attach({
      // One library call per message, the message object as it came.
      send: async (message) => {
        if (has(message, 'comment')) throw new Error(`h3 ${VERSION} cannot send a comment: its EventStream has push() only, no comment method`);
        await eventStream.push(message);
      },
      end: () => eventStream.close(),
    });
    return eventStream.send();
  }),
);
app.use(router);

const webHandler = toWebHandler(app);

async function start() {
  const server = createServer(toNodeListener(app));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return `http://127.0.0.1:${server.address().port}/events`;
}

async function encode(messages) {
  const { token, job, done, drop } = newJob(messages);
  try {
    const res = await webHandler(new Request(`http://127.0.0.1/events?ssespec-encode=${token}`));
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
