// ssespec client adapter for the npm package extended-eventsource (pinned in
// package.json): an EventSource with extra options, on globalThis.fetch,
// created with default options.
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

const LIB = 'extended-eventsource';

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
    name: 'extended-eventsource',
    version: lib.version,
    reports: ['open', 'event', 'error', 'closed', 'failure'],
    // Requests go through globalThis.fetch (docs/rules.md, C1-cache).
    fetch: true,
  };
}

const EventSourceOf = (lib) => lib.mod.EventSource;

await runClientAdapter('extended-eventsource', import.meta.url, { load, hello, openStream: eventSourceStreams(EventSourceOf) });
