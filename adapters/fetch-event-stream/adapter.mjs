// ssespec parser adapter for the npm package fetch-event-stream (pinned in
// package.json).
//
// Speaks the parser adapter protocol (docs/adapter-protocol.md,
// through ../lib/parser-protocol.mjs). The
// library's `events(response)` turns a fetch Response into an async iterator
// of messages {data, event, id, retry}; its own `stream()` is fetch() plus
// events(). Each request becomes `new Response(body)` whose body is a
// ReadableStream that enqueues each chunk as it is, and the messages are
// read to the end. README.md beside this file says what is reported.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { readFileSync } from 'node:fs';

import { runParserAdapter } from '../lib/parser-protocol.mjs';

const NAME = 'fetch-event-stream';

let events;
let libVersion;
try {
  ({ events } = await import(NAME));
  // The package's "exports" do not include package.json: read the file.
  libVersion = JSON.parse(readFileSync(new URL(`node_modules/${NAME}/package.json`, import.meta.url), 'utf8')).version;
} catch (err) {
  process.stderr.write(
    `fetch-event-stream adapter: cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}\n`,
  );
  process.exit(2);
}

async function runCase(chunks) {
  const records = [];
  let i = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(new Uint8Array(chunks[i++]));
      else controller.close();
    },
  });
  for await (const message of events(new Response(body))) {
    // A retry travels with the message of its block: reported just before
    // that message's event, where its line stood (before the empty line).
    if (message.retry !== undefined) records.push({ kind: 'retry', ms: message.retry });
    records.push({
      kind: 'event',
      type: message.event ?? 'message',
      // A message is yielded for any block with an event, id or retry line,
      // with no data property when the block had no data line: an
      // application reading event.data gets undefined, reported as "".
      data: message.data ?? '',
      // The message's own id: a string, or a number when the value reads
      // back as the same number (String(+v) === v); reported as a string.
      lastEventId: message.id === undefined ? '' : String(message.id),
    });
  }
  return records;
}

runParserAdapter(NAME, {
  name: NAME,
  version: libVersion,
  reports: ['event', 'retry'],
}, runCase);
