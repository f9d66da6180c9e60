// ssespec server adapter for the npm package eventsource-encoder (pinned in
// package.json): a pure encoder, so the adapter answers encode requests
// only (no url).
//
// Speaks the server adapter protocol (docs/server-adapter-protocol.md) on
// stdin/stdout. Each message goes to the package's encode() as it came
// (encode() itself sends {comment} to encodeComment() and everything else to
// its message encoder); the answer is the concatenated strings as UTF-8.
// README.md beside this file has the details.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { readFileSync } from 'node:fs';

import { runServerAdapter } from '../lib/server-protocol.mjs';

let encodeMessage;
try {
  ({ encode: encodeMessage } = await import('eventsource-encoder'));
} catch (err) {
  process.stderr.write(`eventsource-encoder adapter: cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}\n`);
  process.exit(2);
}

const NAME = 'eventsource-encoder';
// The version npm installed, from the package's own package.json.
const VERSION = JSON.parse(readFileSync(new URL('./node_modules/eventsource-encoder/package.json', import.meta.url), 'utf8')).version;
const FIELDS = ['data', 'event', 'id', 'retry', 'comment'];
const ENCODE = true;

// No server: the package only encodes.
async function start() {
  return null;
}

// One encode() call per message, in order; the strings joined and written
// as UTF-8, as a server would write them.
async function encode(messages) {
  let text = '';
  for (const message of messages) text += encodeMessage(message);
  return Buffer.from(text, 'utf8');
}

await runServerAdapter({ name: NAME, version: VERSION, fields: FIELDS, encode: ENCODE, start, encodeMessages: encode });
