// ssespec parser adapter for the npm package eventsource-parser.
//
// Speaks the parser adapter protocol (docs/adapter-protocol.md,
// through ../lib/parser-protocol.mjs) on
// stdin/stdout and drives the library the way its README tells a user to:
// bytes are decoded by a streaming TextDecoder (as `TextDecoderStream` would
// do in `response.body.pipeThrough(new TextDecoderStream())`), each decoded
// chunk is given to `parser.feed()`, and the end of the stream is signalled
// with `parser.reset({consume: true})`. What the adapter does, record by
// record, is written down in README.md beside this file.
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
    `eventsource-parser adapter: cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}\n`,
  );
  process.exit(2);
}

// One case: a fresh decoder and a fresh parser, each chunk fed on its own.
function runCase(chunks) {
  const records = [];
  const parser = createParser({
    onEvent(event) {
      records.push({
        kind: 'event',
        type: event.event ?? 'message',
        data: event.data,
        // The library gives the id of the event's own block (undefined when
        // the block had none); reported as it is, not patched up here.
        lastEventId: event.id ?? '',
      });
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
  return records;
}

runParserAdapter('eventsource-parser', {
  name: 'eventsource-parser',
  version: libVersion,
  // No "end": this version exposes no last event ID (no onId callback);
  // an event's id is all a user can see.
  reports: ['event', 'retry', 'comment'],
}, runCase);
