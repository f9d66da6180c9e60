// ssespec client adapter for the npm package launchdarkly-eventsource (pinned in
// package.json), LaunchDarkly's fork of eventsource 1.x: an EventSource on
// Node.js's http and https modules, with default options.
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

const LIB = 'launchdarkly-eventsource';

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
    name: 'launchdarkly-eventsource',
    version: lib.version,
    reports: ['open', 'event', 'error', 'closed', 'failure'],
    // Node.js's http/https modules, not fetch.
    fetch: false,
  };
}

// module.exports = { EventSource }.
const EventSourceOf = (lib) => lib.mod.EventSource ?? lib.mod.default.EventSource;

await runClientAdapter('launchdarkly-eventsource', import.meta.url, { load, hello, openStream: eventSourceStreams(EventSourceOf) });
