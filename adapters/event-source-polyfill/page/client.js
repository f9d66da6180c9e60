// The page side of the event-source-polyfill client adapter (docs/client-adapter-protocol.md):
// adapters/chromium/page/client.js with the library's streams in place of
// the browser's EventSource. The adapter adds the library's file to this
// page after it has loaded (see adapter.mjs); EventSourcePolyfill is used by that name, never the browser's EventSource, with default options.
//
//   ssespec.open(stream, url, types)   new window.EventSourcePolyfill(url), listening to
//                                      "message" and each of types
//   ssespec.close(stream)              es.close(), then a "closed" report
//
// Reports and their delivery (window.ssespecDeliver, in numbered batches)
// are the same as in adapters/chromium/page/client.js.

(function () {
  'use strict';

  var streams = new Map(); // stream id -> the library's source

  // A message event of the library carries a lastEventId string; its own
  // open and error events do not.
  function isMessage(ev) {
    return ev != null && typeof ev.lastEventId === 'string';
  }
  var queue = [];
  var batches = 0;
  var flushPending = false;

  function flush() {
    flushPending = false;
    if (queue.length === 0 || typeof window.ssespecDeliver !== 'function') return;
    var reports = queue;
    queue = [];
    batches += 1;
    window.ssespecDeliver(JSON.stringify({ batch: batches, reports: reports }));
  }

  function report(r) {
    queue.push(r);
    // One batch per task at most: a chunk that carries many events is
    // dispatched in one task, and its events go out together.
    if (!flushPending && typeof window.ssespecDeliver === 'function') {
      flushPending = true;
      setTimeout(flush, 0);
    }
  }

  function open(stream, url, types) {
    if (streams.has(stream)) {
      report({ stream: stream, kind: 'failure', message: 'stream ' + stream + ' is already open' });
      return;
    }
    var es;
    try {
      es = new window.EventSourcePolyfill(url);
    } catch (e) {
      report({ stream: stream, kind: 'failure', message: 'the constructor threw: ' + e });
      return;
    }
    streams.set(stream, es);
    function live() {
      return streams.get(stream) === es;
    }
    es.onopen = function (ev) {
      if (isMessage(ev)) return; // a message event named "open"
      if (live()) report({ stream: stream, kind: 'open' });
    };
    es.onerror = function (ev) {
      // A message event named "error" also reaches onerror: not an error.
      if (isMessage(ev)) return;
      // readyState as the library has it while its error event is dispatched.
      if (live()) report({ stream: stream, kind: 'error', readyState: es.readyState });
    };
    var seen = new Set();
    ['message'].concat(types || []).forEach(function (type) {
      if (seen.has(type)) return;
      seen.add(type);
      es.addEventListener(type, function (ev) {
        // A listener for a type named "open" or "error" also sees the
        // EventSource's own events of that name: only messages are events.
        if (!isMessage(ev) || !live()) return;
        report({ stream: stream, kind: 'event', type: ev.type, data: ev.data,
                 lastEventId: ev.lastEventId });
      });
    });
  }

  function close(stream) {
    var es = streams.get(stream);
    if (!es) {
      report({ stream: stream, kind: 'failure', message: 'stream ' + stream + ' is not open' });
      return;
    }
    streams.delete(stream);
    try {
      es.close();
    } catch (e) {
      report({ stream: stream, kind: 'failure', message: 'close() threw: ' + e });
      return;
    }
    report({ stream: stream, kind: 'closed' });
  }

  function take() {
    var reports = queue;
    queue = [];
    return reports;
  }

  window.ssespec = {
    open: open,
    close: close,
    take: take,
    streams: function () { return Array.from(streams.keys()); },
  };
})();
