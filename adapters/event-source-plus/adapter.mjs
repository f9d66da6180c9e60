// ssespec client adapter for the npm package event-source-plus (pinned in
// package.json): new EventSourcePlus(url).listen() with default options, on
// ofetch over globalThis.fetch (Node.js's undici).
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

const LIB = 'event-source-plus';

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
    name: 'event-source-plus',
    version: lib.version,
    // Only messages: the library has no open or error events (its hooks
    // see requests and responses; README.md).
    reports: ['event', 'closed', 'failure'],
    // Requests go through globalThis.fetch (docs/rules.md, C1-cache).
    fetch: true,
  };
}

function openStream(lib, url, types, report, note) {
  const wanted = new Set(types);
  const source = new lib.mod.EventSourcePlus(url);
  const controller = source.listen({
    onMessage: (msg) => {
      const type = msg.event || 'message';
      if (!wanted.has(type)) return;
      // The message's own id (undefined when its block had none).
      report({ kind: 'event', type, data: msg.data, lastEventId: msg.id ?? '' });
    },
    onResponse: ({ response }) => note(`response ${response.status} ${response.headers.get('content-type')}`),
    onRequestError: ({ error }) => note(`request error: ${error?.message ?? error}`),
    onResponseError: ({ response }) => note(`response error: ${response?.status}`),
  });
  return { close: () => controller.abort() };
}

await runClientAdapter('event-source-plus', import.meta.url, { load, hello, openStream });
