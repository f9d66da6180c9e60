// ssespec parser adapter for the npm package @server-sent-stream/parser
// (pinned in package.json).
//
// Speaks the parser adapter protocol (docs/adapter-protocol.md,
// through ../lib/parser-protocol.mjs) on
// stdin/stdout. The library parses text and leaves decoding to its user; its
// README says to use a streaming decoder such as `TextDecoderStream`. So each
// request gets a fresh streaming TextDecoder and a fresh EventStreamParser,
// each decoded chunk goes to `parser.push()` and the end of the input to
// `parser.end()`. README.md beside this file says what is reported.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { readFileSync } from 'node:fs';

import { runParserAdapter } from '../lib/parser-protocol.mjs';

const NAME = '@server-sent-stream/parser';

let EventStreamParser;
let libVersion;
try {
  ({ default: EventStreamParser } = await import(NAME));
  // The package's "exports" do not include package.json: read the file.
  libVersion = JSON.parse(readFileSync(new URL(`node_modules/${NAME}/package.json`, import.meta.url), 'utf8')).version;
} catch (err) {
  process.stderr.write(
    `server-sent-stream-parser adapter: cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}\n`,
  );
  process.exit(2);
}

function runCase(chunks) {
  const records = [];
  // The callback's arguments: the event data, the event type ("message" when
  // the event names none) and "the last seen event ID".
  const parser = new EventStreamParser((data, type, lastEventId) => {
    records.push({ kind: 'event', type, data, lastEventId });
  });
  // WHATWG UTF-8 decode, streaming, as TextDecoderStream does.
  const decoder = new TextDecoder('utf-8', { fatal: false });
  for (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') parser.push(text);
  }
  const rest = decoder.decode();
  if (rest !== '') parser.push(rest);
  parser.end();
  return records;
}

runParserAdapter(NAME, {
  name: NAME,
  version: libVersion,
  // Only events: the library has no callback for retry or comments, and
  // no public last event ID (its lastEventId field is private).
  reports: ['event'],
}, runCase);
