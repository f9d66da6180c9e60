// ssespec client adapter for the npm package eventsource (pinned in
// package.json), on Node.js's built-in fetch.
//
// Speaks the client adapter protocol (docs/client-adapter-protocol.md,
// through ../lib/client-protocol.mjs): a hello line, then JSON commands on
// stdin (`open`, `close`) and JSON reports on stdout (`open`, `event`,
// `error`, `closed`, `failure`), many streams at once. Each `open` is one
// `new EventSource(url)` with default options, as a user would write it;
// README.md beside this file says what is reported and how the test CA is
// trusted.
//
// Run `npm ci` in this folder first (the harness does it on first use).

import { createRequire } from 'node:module';

import { die, runClientAdapter } from '../lib/client-protocol.mjs';

// ---------------------------------------------------------------- the library

async function load() {
  try {
    const mod = await import('eventsource');
    return { mod, version: createRequire(import.meta.url)('eventsource/package.json').version };
  } catch (err) {
    return die(`cannot load the library (${err.message}); run \`npm ci\` in ${new URL('.', import.meta.url).pathname}`, 2);
  }
}

function hello(lib) {
  return {
    name: 'eventsource',
    version: lib.version,
    reports: ['open', 'event', 'error', 'closed', 'failure'],
    fetch: true, // eventsource 3 and later make their requests with fetch()
  };
}

// One EventSource per stream with default options; handlers as the standard
// names them.
function openStream(lib, url, types, report, note) {
  const es = new lib.mod.EventSource(url);
  es.onopen = () => report({ kind: 'open' });
  es.onerror = (ev) => {
    // readyState as the library has it while its error event is dispatched.
    report({ kind: 'error', readyState: es.readyState });
    const detail = [ev?.code, ev?.message].filter((x) => x !== undefined && x !== '').join(' ');
    if (detail) note(`error event: ${detail}`);
  };
  for (const type of types) {
    es.addEventListener(type, (ev) => {
      // A listener for a type named "open" or "error" also sees the
      // library's own events of that name: only messages are events.
      if (typeof ev.data !== 'string') return;
      report({ kind: 'event', type: ev.type, data: ev.data, lastEventId: ev.lastEventId });
    });
  }
  return { close: () => es.close() };
}

await runClientAdapter('eventsource', import.meta.url, { load, hello, openStream });
