// ssespec client adapter for the npm package eventsource-client (pinned in
// package.json): createEventSource() with its callbacks, on globalThis.fetch
// (Node.js's undici), with default options.
//
// Speaks the client adapter protocol (docs/client-adapter-protocol.md,
// through ../lib/client-protocol.mjs): a
// hello line, then JSON commands on stdin (`open`, `close`) and JSON reports
// on stdout, many streams at once. README.md beside this file says what is
// reported, from which callback, and how the test CA is trusted.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { readFileSync } from 'node:fs';

import { die, runClientAdapter } from '../lib/client-protocol.mjs';

// ---------------------------------------------------------------- the library

const LIB = 'eventsource-client';

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
    name: 'eventsource-client',
    version: lib.version,
    // No error callback as such: onDisconnect is reported as the error
    // event (README.md).
    reports: ['open', 'event', 'error', 'closed', 'failure'],
    // Requests go through globalThis.fetch (docs/rules.md, C1-cache).
    fetch: true,
  };
}

// readyState as the library names it.
const STATES = { connecting: 0, open: 1, closed: 2 };

function openStream(lib, url, types, report, note) {
  const wanted = new Set(types);
  // The callbacks run only after createEventSource() has returned (its
  // first request is asynchronous), so `es` is set by then.
  let es = null;
  es = lib.mod.createEventSource({
    url,
    // Called when a response arrives, before its status is looked at.
    onConnect: () => report({ kind: 'open' }),
    // Called when a body ends (a reconnection is then scheduled) or on a
    // 204 (the source is then closed): the library's error event.
    onDisconnect: () => report({ kind: 'error', readyState: STATES[es.readyState] ?? -1 }),
    onScheduleReconnect: ({ delay }) => note(`reconnecting in ${delay} ms`),
    onMessage: (msg) => {
      // Every message comes here; an EventSource's application listens to
      // the types it knows.
      const type = msg.event ?? 'message';
      if (!wanted.has(type)) return;
      // The message's own id (undefined when its block had none).
      report({ kind: 'event', type, data: msg.data, lastEventId: msg.id ?? '' });
    },
  });
  return { close: () => es.close() };
}

await runClientAdapter('eventsource-client', import.meta.url, { load, hello, openStream });
