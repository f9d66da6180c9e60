// The page side of a browser client adapter (docs/client-adapter-protocol.md).
//
// A browser adapter loads {origin}/static/client.html from the scenario
// server, on the origin of the stream URLs it will open (so that every
// EventSource is same-origin), and calls, by whatever means its driver has
// to evaluate script in the page:
//
//   ssespec.open(stream, url, types)   new EventSource(url), listening to
//                                      "message" and each of types
//   ssespec.close(stream)              es.close(), then a "closed" report
//
// Reports are the protocol's records, with the stream id: {stream, kind:
// "open"}, {stream, kind: "event", type, data, lastEventId}, {stream, kind:
// "error", readyState}, {stream, kind: "closed"}, {stream, kind: "failure",
// message}. They are queued in the order the browser produced them and
// handed over in batches, in one of two ways:
//
//   push  when the driver has installed a function window.ssespecDeliver
//         (Playwright's exposeBinding, a CDP Runtime binding, ...), each
//         batch is passed to it as one JSON string
//         {"batch": N, "reports": [...]}; N counts from 1, so the driver can
//         restore the order if its transport does not keep it;
//   poll  otherwise ssespec.take() returns the queued reports (an array) and
//         empties the queue.
//
// Nothing here is specific to one browser: only the standard EventSource,
// setTimeout and JSON are used.

(function () {
  'use strict';

  var streams = new Map(); // stream id -> EventSource
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
      es = new EventSource(url);
    } catch (e) {
      report({ stream: stream, kind: 'failure', message: 'new EventSource() threw: ' + e });
      return;
    }
    streams.set(stream, es);
    function live() {
      return streams.get(stream) === es;
    }
    es.onopen = function (ev) {
      // A message event named "open" also reaches onopen: not the open.
      if (ev instanceof MessageEvent) return;
      if (live()) report({ stream: stream, kind: 'open' });
    };
    es.onerror = function (ev) {
      // A message event named "error" also reaches onerror: not an error.
      if (ev instanceof MessageEvent) return;
      // readyState as the browser has it while the error event is dispatched.
      if (live()) report({ stream: stream, kind: 'error', readyState: es.readyState });
    };
    var seen = new Set();
    ['message'].concat(types || []).forEach(function (type) {
      if (seen.has(type)) return;
      seen.add(type);
      es.addEventListener(type, function (ev) {
        // A listener for a type named "open" or "error" also sees the
        // EventSource's own events of that name: only messages are events.
        if (!(ev instanceof MessageEvent) || !live()) return;
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
