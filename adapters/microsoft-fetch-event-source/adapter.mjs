// ssespec client adapter for the npm package @microsoft/fetch-event-source (pinned
// in package.json): fetchEventSource() with its callbacks, on
// globalThis.fetch (Node.js's undici), with default options. The library is
// written for browsers (window.fetch, window.setTimeout, document's
// visibility); README.md says what the adapter provides in their place.
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

const LIB = '@microsoft/fetch-event-source';

// What the library takes from a browser page: `window` for fetch and the
// timers, and `document` for the page's visibility. Node.js has neither: here
// the page is always visible, so the library never closes a stream on its
// own for being hidden.
globalThis.window ??= globalThis;
globalThis.document ??= { hidden: false, addEventListener() {}, removeEventListener() {} };

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
    name: '@microsoft/fetch-event-source',
    version: lib.version,
    // No open report: a custom onopen replaces the library's own response
    // check. An error report for each onerror, after which the library
    // retries.
    reports: ['event', 'error', 'closed', 'failure'],
    // Requests go through globalThis.fetch (docs/rules.md, C1-cache).
    fetch: true,
  };
}

function openStream(lib, url, types, report, note) {
  const wanted = new Set(types);
  const ctrl = new AbortController();
  const done = lib.mod.fetchEventSource(url, {
    signal: ctrl.signal,
    onmessage: (msg) => {
      const type = msg.event || 'message';
      if (!wanted.has(type)) return;
      // The message's own id ("" when its block had none).
      report({ kind: 'event', type, data: msg.data, lastEventId: msg.id });
    },
    // Returning nothing makes the library retry after its retry interval:
    // readyState 0, as an EventSource's error before a reconnection.
    onerror: (err) => {
      report({ kind: 'error', readyState: 0 });
      note(`onerror: ${err?.message ?? err}`);
    },
    onclose: () => note('onclose: the body ended; the library does not reconnect'),
  });
  done.then(() => note('fetchEventSource() resolved'), (err) => note(`fetchEventSource() rejected: ${err?.message ?? err}`));
  return { close: () => ctrl.abort() };
}

await runClientAdapter('microsoft-fetch-event-source', import.meta.url, { load, hello, openStream });
