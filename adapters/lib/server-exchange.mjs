// A hand test of a server adapter (docs/server-adapter-protocol.md), with no
// dependencies beyond Node.js:
//
//   node adapters/lib/server-exchange.mjs adapters/h3        # a bundled adapter's folder
//   node adapters/lib/server-exchange.mjs -- node my-adapter.mjs --flag   # any command
//
// (-v before the adapter also prints every line exchanged.) A folder runs
// `node adapter.mjs` in it. The test reads the hello line, and
//  - sends encode requests (plain data, line breaks in data, injection
//    attempts through event, id and comment, an id with U+0000, retry 0, ...)
//    and decodes each answer with a literal WHATWG event-stream parser, so
//    that what a client would see, forged fields included, is printed;
//  - when the hello has a url: opens it over a raw TCP socket with
//    ssespec-stream=s1, checks the `request` report, sends two messages,
//    checks each `sent` report and that the bytes arrive with chunked
//    framing, ends the stream and checks the response ends; then checks a
//    `gone` report for a client that goes away, and 100 streams at once;
//  - closes stdin and checks the adapter exits with status 0.
//
// Exit status 0 when every protocol check passed (what the library encodes
// is printed, not judged: that is the suite's job), 1 otherwise, 2 for bad
// arguments.

import { spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import { statSync } from 'node:fs';

const USAGE = 'usage: node server-exchange.mjs [-v] (ADAPTER_FOLDER | -- COMMAND [ARG...])';
const args = process.argv.slice(2);
const verbose = args[0] === '-v';
if (verbose) args.shift();
let command;
let cwd;
if (args[0] === '--' && args.length > 1) {
  command = args.slice(1);
} else if (args.length === 1 && statSync(args[0], { throwIfNoEntry: false })?.isDirectory()) {
  command = [process.execPath, 'adapter.mjs'];
  cwd = args[0];
} else {
  console.error(args.length === 1 ? `${args[0]}: not a folder\n${USAGE}` : USAGE);
  process.exit(2);
}

// ---------------------------------------------------------------- cases

const CASES = [
  ['plain', [{ data: 'hello' }]],
  ['data-lf', [{ data: 'a\nb' }]],
  ['data-cr', [{ data: 'a\rb' }]],
  ['data-crlf', [{ data: 'a\r\nb' }]],
  ['data-cr-at-end', [{ data: 'a\r' }]],
  ['data-lf-cr', [{ data: 'a\n\rb' }]],
  ['data-cr-forges-event', [{ data: 'a\r\rdata: forged' }]],
  ['data-lf-forges-event', [{ data: 'a\n\ndata: forged' }]],
  ['data-leading-space', [{ data: ' a' }]],
  ['event-crlf-inject', [{ data: 'ok', event: 'message\r\nevent: evil' }]],
  ['id-lf', [{ data: 'ok', id: '1\ndata: forged' }]],
  ['id-cr', [{ data: 'ok', id: '1\rdata: forged' }]],
  ['id-nul', [{ data: 'ok', id: '1\u00002' }]],
  ['id-empty', [{ data: 'a', id: '1' }, { data: 'b', id: '' }]],
  ['comment-lf', [{ comment: 'c\ndata: forged' }]],
  ['retry-0', [{ retry: 0 }]],
  ['event-with-retry', [{ data: 'ok', event: 'e', id: '7', retry: 1500 }]],
];

// ---------------------------------------------------------------- the adapter

const child = spawn(command[0], command.slice(1), { cwd, stdio: ['pipe', 'pipe', 'inherit'] });
child.on('error', (err) => {
  console.log(`FAIL cannot start ${command.join(' ')}: ${err.message}`);
  process.exit(1);
});
// A write to an adapter that has exited (EPIPE) is not the news: its exit is,
// and the exit handler below reports it.
child.stdin.on('error', () => {});
const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
const waiters = [];
const seen = [];
let failures = 0;
const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
let stdinClosed = false;
exited.then(({ code, signal }) => {
  if (stdinClosed) return;
  console.log(`FAIL the adapter exited early (status ${code ?? signal})`);
  process.exit(1);
});

lines.on('line', (line) => {
  let obj;
  try {
    obj = JSON.parse(line);
  } catch {
    fail(`stdout line is not JSON: ${line}`);
    return;
  }
  if (verbose) console.log(`   < ${line}`);
  seen.push(obj);
  for (const w of [...waiters]) {
    if (w.match(obj)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(obj);
    }
  }
});

function next(match, what, ms = 5000) {
  const found = seen.find(match);
  if (found) {
    seen.splice(seen.indexOf(found), 1);
    return Promise.resolve(found);
  }
  return new Promise((resolve, reject) => {
    const w = {
      match,
      resolve: (obj) => {
        clearTimeout(timer);
        seen.splice(seen.indexOf(obj), 1);
        resolve(obj);
      },
    };
    const timer = setTimeout(() => {
      waiters.splice(waiters.indexOf(w), 1);
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    waiters.push(w);
  });
}

function send(obj) {
  if (verbose) console.log(`   > ${JSON.stringify(obj)}`);
  child.stdin.write(`${JSON.stringify(obj)}\n`);
}

function fail(text) {
  failures += 1;
  console.log(`FAIL ${text}`);
}

function check(cond, text) {
  if (cond) console.log(`ok   ${text}`);
  else fail(text);
}

// ---------------------------------------------------------------- a literal SSE parser

// WHATWG "Parsing an event stream" and "Interpreting an event stream", kept
// literal; comments are reported too.
function parseStream(bytes) {
  let text = new TextDecoder('utf-8').decode(bytes); // removes one leading BOM
  const records = [];
  let data = '';
  let type = '';
  let idBuffer = '';
  let lastEventId = '';
  const lineRe = /\r\n|\r|\n/g;
  let pos = 0;
  for (;;) {
    lineRe.lastIndex = pos;
    const m = lineRe.exec(text);
    if (!m) break; // text after the last line break is not a line
    const line = text.slice(pos, m.index);
    pos = m.index + m[0].length;
    if (line === '') {
      lastEventId = idBuffer;
      if (data === '') {
        type = '';
        continue;
      }
      records.push({ event: type || 'message', data: data.endsWith('\n') ? data.slice(0, -1) : data, lastEventId });
      data = '';
      type = '';
      continue;
    }
    if (line[0] === ':') {
      records.push({ comment: line.slice(1).replace(/^ /, '') });
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (name === 'event') type = value;
    else if (name === 'data') data += `${value}\n`;
    else if (name === 'id') {
      if (!value.includes('\0')) idBuffer = value;
    } else if (name === 'retry') {
      if (/^[0-9]+$/.test(value)) records.push({ retry: Number(value) });
    } else records.push({ ignored: line });
  }
  const rest = text.slice(pos);
  if (data !== '' || rest !== '') records.push({ unterminated: rest, pendingData: data });
  return records;
}

// What a client should see for the messages, had the library done it right.
function intended(messages) {
  const records = [];
  let lastEventId = '';
  for (const m of messages) {
    if (typeof m.comment === 'string') {
      for (const c of m.comment.split(/\r\n|\r|\n/)) records.push({ comment: c });
      continue;
    }
    if (typeof m.retry === 'number') records.push({ retry: m.retry });
    if (typeof m.id === 'string' && !m.id.includes('\0')) lastEventId = m.id;
    if (typeof m.data === 'string') {
      records.push({ event: m.event || 'message', data: m.data.replace(/\r\n|\r/g, '\n'), lastEventId });
    }
  }
  return records;
}

const esc = (s) => JSON.stringify(s);
const show = (r) =>
  'event' in r
    ? `event ${esc(r.event)} data ${esc(r.data)} id ${esc(r.lastEventId)}`
    : 'comment' in r
      ? `comment ${esc(r.comment)}`
      : 'retry' in r
        ? `retry ${r.retry}`
        : 'ignored' in r
          ? `(ignored line ${esc(r.ignored)})`
          : `(unterminated ${esc(r.unterminated)}, pending data ${esc(r.pendingData)})`;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// The field lines of a stream, as a client splits them.
function fieldLines(bytes) {
  const text = new TextDecoder('utf-8').decode(bytes);
  return text
    .split(/\r\n|\r|\n/)
    .filter((l) => l !== '' && l[0] !== ':')
    .map((l) => {
      const c = l.indexOf(':');
      const value = c < 0 ? '' : l.slice(c + 1);
      return { name: c < 0 ? l : l.slice(0, c), value: value[0] === ' ' ? value.slice(1) : value };
    });
}

// Every injection payload here puts "forged" or "evil" after a line break:
// a field line whose whole value is one of them was forged from a value.
function verdict(messages, bytes, got, want) {
  const forged = fieldLines(bytes).filter(
    (l) => ['data', 'event', 'id', 'retry'].includes(l.name) && (l.value === 'forged' || l.value === 'evil'),
  );
  const events = (rs) => rs.filter((r) => 'event' in r).length;
  const uncarriable = messages.some(
    (m) => [m.event, m.id].some((v) => typeof v === 'string' && /[\r\n]/.test(v)) || (typeof m.id === 'string' && m.id.includes('\0')),
  );
  const notes = [];
  if (forged.length) notes.push(`INJECTION: forged ${forged.map((l) => `${l.name}: ${l.value}`).join(', ')}`);
  if (events(got) > events(want)) notes.push(`EXTRA EVENTS: ${events(got)} events for ${events(want)}`);
  if (uncarriable) notes.push('NOT REFUSED: the message holds a value the format cannot carry (event/id with CR or LF, id with U+0000)');
  if (same(got, want)) notes.push(uncarriable ? 'what a client sees matches only because clients ignore the id line' : 'as intended');
  else if (!forged.length && events(got) <= events(want)) notes.push('DIFFERS from what was intended');
  return notes.join('; ');
}

// ---------------------------------------------------------------- raw HTTP

// Opens a GET over a raw socket and keeps everything that arrives: the head,
// the chunk sizes and the de-chunked body, each piece with its arrival time.
function rawGet(host, port, path, extraHeaders = [], version = '1.1') {
  const sock = net.connect(port, host);
  sock.setNoDelay(true);
  const st = {
    sock,
    raw: Buffer.alloc(0),
    head: null,
    status: 0,
    headers: {},
    chunked: false,
    chunks: [],
    body: Buffer.alloc(0),
    ended: false,
    lastChunkSeen: false,
    arrivals: [],
  };
  let buf = Buffer.alloc(0);
  const onData = (d) => {
    st.raw = Buffer.concat([st.raw, d]);
    buf = Buffer.concat([buf, d]);
    if (!st.head) {
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      st.head = buf.subarray(0, i).toString('latin1');
      buf = buf.subarray(i + 4);
      const [statusLine, ...hs] = st.head.split('\r\n');
      st.status = Number(statusLine.split(' ')[1]);
      for (const h of hs) {
        const c = h.indexOf(':');
        const k = h.slice(0, c).trim().toLowerCase();
        const v = h.slice(c + 1).trim();
        st.headers[k] = k in st.headers ? `${st.headers[k]}, ${v}` : v;
      }
      st.chunked = /chunked/i.test(st.headers['transfer-encoding'] ?? '');
    }
    if (!st.chunked) {
      if (buf.length) {
        st.body = Buffer.concat([st.body, buf]);
        st.arrivals.push({ t: performance.now(), bytes: buf });
        buf = Buffer.alloc(0);
      }
      return;
    }
    for (;;) {
      const i = buf.indexOf('\r\n');
      if (i < 0) return;
      const size = parseInt(buf.subarray(0, i).toString('latin1'), 16);
      if (size === 0) {
        st.lastChunkSeen = true;
        return;
      }
      if (buf.length < i + 2 + size + 2) return;
      const chunk = buf.subarray(i + 2, i + 2 + size);
      st.chunks.push(size);
      st.body = Buffer.concat([st.body, chunk]);
      st.arrivals.push({ t: performance.now(), bytes: chunk });
      buf = buf.subarray(i + 2 + size + 2);
    }
  };
  sock.on('data', onData);
  // The response is over: the last chunk, a Content-Length body complete,
  // or the connection closed.
  Object.defineProperty(st, 'done', {
    get: () =>
      st.lastChunkSeen ||
      st.ended ||
      (st.head !== null && !st.chunked && 'content-length' in st.headers && st.body.length >= Number(st.headers['content-length'])),
  });
  st.closed = new Promise((resolve) => sock.on('close', resolve));
  sock.on('end', () => {
    st.ended = true;
  });
  sock.on('error', () => {});
  const headerLines = [`GET ${path} HTTP/${version}`, `Host: ${host}:${port}`, 'Accept: text/event-stream', 'Cache-Control: no-cache', ...extraHeaders];
  sock.write(`${headerLines.join('\r\n')}\r\n\r\n`);
  return st;
}

function waitFor(pred, ms, what) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (pred()) return resolve(performance.now() - t0);
      if (performance.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      return setTimeout(tick, 2);
    };
    tick();
  });
}

// ---------------------------------------------------------------- run

const hello = (await next((o) => 'hello' in o, 'the hello line')).hello;
console.log(`hello: ${JSON.stringify(hello)}`);
check(typeof hello.name === 'string' && typeof hello.version === 'string', 'hello has name and version');
check(Array.isArray(hello.fields) && hello.fields.includes('data'), 'hello fields include data');
check(hello.encode === true || typeof hello.url === 'string', 'hello offers encode or a url');

if (hello.encode) {
  console.log(`\n== encode (${hello.name} ${hello.version})`);
  for (const [name, messages] of CASES) send({ case: name, messages });
  for (const [name, messages] of CASES) {
    const ans = await next((o) => o.case === name, `the answer to ${name}`);
    console.log(`\n${name}: ${messages.map((m) => JSON.stringify(m)).join(' ')}`);
    if ('error' in ans) {
      console.log(`   error: ${ans.error}`);
      continue;
    }
    const bytes = Buffer.from(ans.bytes, 'base64');
    console.log(`   bytes: ${esc(bytes.toString('utf8'))}`);
    const got = parseStream(bytes);
    const want = intended(messages);
    for (const r of got) console.log(`   client sees: ${show(r)}`);
    console.log(`   => ${verdict(messages, bytes, got, want)}`);
    if (!same(got, want)) for (const r of want) console.log(`      intended: ${show(r)}`);
  }
  // An unknown request shape and answers in order: two more, back to back.
  send({ case: 'order-1', messages: [{ data: '1' }] });
  send({ case: 'order-2', messages: [{ data: '2' }] });
  const a1 = await next((o) => o.case === 'order-1' || o.case === 'order-2', 'order-1');
  check(a1.case === 'order-1', 'encode answers come in request order');
  await next((o) => o.case === 'order-2', 'order-2');
}

if (hello.url) {
  console.log(`\n== served (${hello.url})`);
  const u = new URL(hello.url);
  const withId = (id) => `${u.pathname}${u.search ? `${u.search}&` : '?'}ssespec-stream=${encodeURIComponent(id)}`;
  const host = u.hostname;
  const port = Number(u.port);

  // s1: request report, two sends, chunked framing, end.
  const s1 = rawGet(host, port, withId('s1'), ['X-Repeat: a', 'X-Repeat: b']);
  const req = await next((o) => o.stream === 's1' && o.kind === 'request', 'the request report for s1');
  check(req.method === 'GET', `request report method ${req.method}`);
  check(req.path === withId('s1'), `request report path ${req.path}`);
  check(req.headers?.accept === 'text/event-stream', 'request report has accept: text/event-stream');
  check(req.headers?.['x-repeat'] === 'a, b', `repeated header joined: x-repeat ${esc(req.headers?.['x-repeat'])}`);
  const before1 = s1.body.length;
  send({ cmd: 'send', stream: 's1', messages: [{ data: 'one', id: '1' }] });
  const sent1 = await next((o) => o.stream === 's1' && o.kind !== 'request', 'the sent report for s1');
  check(sent1.kind === 'sent' && sent1.count === 1, `first send reported ${JSON.stringify(sent1)}`);
  try {
    const ms = await waitFor(() => s1.body.subarray(before1).includes('one'), 2000, 'message one on the wire');
    console.log(`ok   message one arrived ${ms.toFixed(1)} ms after its sent report`);
  } catch (err) {
    fail(err.message);
  }
  const before2 = s1.body.length;
  send({ cmd: 'send', stream: 's1', messages: [{ data: 'two' }, { comment: 'three' }] });
  const sent2 = await next((o) => o.stream === 's1', 'the second report for s1');
  console.log(`     second send (an event and a comment) reported ${JSON.stringify(sent2)}`);
  try {
    const ms = await waitFor(() => s1.body.subarray(before2).includes('two'), 2000, 'message two on the wire');
    console.log(`ok   message two arrived ${ms.toFixed(1)} ms after its report`);
  } catch (err) {
    fail(err.message);
  }
  send({ cmd: 'end', stream: 's1' });
  try {
    await waitFor(() => s1.done, 3000, 'the end of the s1 response');
    console.log('ok   the response ended');
  } catch (err) {
    fail(err.message);
  }
  console.log(`     status ${s1.status}; head:\n       ${s1.head?.split('\r\n').join('\n       ')}`);
  check(s1.status === 200, 'status 200');
  check(/^text\/event-stream/i.test(s1.headers['content-type'] ?? ''), `content-type ${s1.headers['content-type']}`);
  check(s1.chunked, 'chunked transfer coding');
  check(!('content-length' in s1.headers), 'no content-length');
  check(s1.lastChunkSeen, 'the last chunk (size 0) arrived');
  console.log(`     chunk sizes: ${s1.chunks.join(', ')}`);
  console.log(`     body: ${esc(s1.body.toString('utf8'))}`);
  for (const r of parseStream(s1.body)) console.log(`     client sees: ${show(r)}`);
  s1.sock.destroy();
  await new Promise((r) => setTimeout(r, 200));
  const late = seen.filter((o) => o.stream === 's1');
  check(late.length === 0, `no report for s1 after its end (${JSON.stringify(late)})`);

  // s2: the client goes away.
  const s2 = rawGet(host, port, withId('s2'));
  await next((o) => o.stream === 's2' && o.kind === 'request', 'the request report for s2');
  send({ cmd: 'send', stream: 's2', messages: [{ data: 'x' }] });
  await next((o) => o.stream === 's2' && o.kind === 'sent', 'sent for s2');
  await waitFor(() => s2.body.includes('x'), 2000, 's2 data').catch((e) => fail(e.message));
  const t0 = performance.now();
  s2.sock.destroy();
  try {
    await next((o) => o.stream === 's2' && o.kind === 'gone', 'gone for s2', 3000);
    console.log(`ok   gone reported ${(performance.now() - t0).toFixed(1)} ms after the client left`);
  } catch (err) {
    fail(err.message);
  }
  send({ cmd: 'end', stream: 's2' });

  // A command that comes before its request: the bundled adapters hold it
  // until the request does. The protocol does not say (ssespec sends a
  // stream's commands only after its request report), so failing it or
  // dropping it is a note, not a failure.
  send({ cmd: 'send', stream: 'early', messages: [{ data: 'early bird' }] });
  await new Promise((r) => setTimeout(r, 100));
  const early = rawGet(host, port, withId('early'));
  try {
    await next((o) => o.stream === 'early' && o.kind === 'request', 'the request report for early');
    let r = null;
    try {
      r = await next((o) => o.stream === 'early', 'a report for the early send', 2000);
    } catch {
      console.log('     a send before its request was dropped: allowed, ssespec never sends one');
    }
    if (r?.kind === 'failure') {
      console.log(`     a send before its request failed (${JSON.stringify(r.message)}): allowed, ssespec never sends one`);
    } else if (r) {
      check(r.kind === 'sent' && r.count === 1, `a send before the request is done once it arrives (${JSON.stringify(r)})`);
      await waitFor(() => early.body.includes('early bird'), 2000, 'early data');
    }
  } catch (err) {
    fail(err.message);
  }
  send({ cmd: 'end', stream: 'early' });
  await waitFor(() => early.done, 3000, 'the end of early').catch((e) => fail(e.message));
  early.sock.destroy();

  // Commands for a stream that is not open.
  send({ cmd: 'end', stream: 'never-opened' });
  send({ cmd: 'frobnicate', stream: 'x' });
  // The protocol does not say what answers an unknown command (ssespec never
  // sends one): a failure report is checked, silence is a note.
  try {
    const bad = await next((o) => o.stream === 'x', 'a failure for an unknown command', 2000);
    check(bad.kind === 'failure', `an unknown command is a failure (${JSON.stringify(bad)})`);
  } catch {
    console.log('     an unknown command gets no report within 2 s: allowed, ssespec never sends one');
  }

  // What the library does (reported, not judged): an end before any
  // message, and a client that leaves before any message.
  const z = rawGet(host, port, withId('zero'));
  await next((o) => o.stream === 'zero' && o.kind === 'request', 'the request report for zero');
  await new Promise((r) => setTimeout(r, 100));
  const headBeforeAny = z.head !== null;
  send({ cmd: 'end', stream: 'zero' });
  const zEnded = await waitFor(() => z.done, 1500, 'the end of zero').then(
    () => true,
    () => false,
  );
  await new Promise((r) => setTimeout(r, 100));
  const zReports = seen.filter((o) => o.stream === 'zero');
  console.log(
    `     an end before any message: response head ${headBeforeAny ? 'sent before it' : 'NOT sent before it'}; ` +
      `${zEnded ? `the response ended (status ${z.status}, ${z.chunked ? 'chunked' : `content-length ${z.headers['content-length']}`}, body ${esc(z.body.toString('utf8'))})` : 'the response did NOT end within 1.5 s'}` +
      `${zReports.length ? `; reports ${JSON.stringify(zReports)}` : ''}`,
  );
  z.sock.destroy();
  const g = rawGet(host, port, withId('leaves-early'));
  await next((o) => o.stream === 'leaves-early' && o.kind === 'request', 'the request report for leaves-early');
  await new Promise((r) => setTimeout(r, 50));
  g.sock.destroy();
  const gone = await next((o) => o.stream === 'leaves-early' && o.kind === 'gone', 'gone', 2000).then(
    () => true,
    () => false,
  );
  console.log(`     a client that leaves before any message: ${gone ? 'gone reported' : 'NO gone report within 2 s'}`);
  send({ cmd: 'end', stream: 'leaves-early' });

  // HTTP/1.0 (reported, not judged): the response must not be chunked and
  // must end by closing the connection.
  const h10 = rawGet(host, port, withId('http10'), [], '1.0');
  await next((o) => o.stream === 'http10' && o.kind === 'request', 'the request report for http10');
  send({ cmd: 'send', stream: 'http10', messages: [{ data: 'one' }] });
  await next((o) => o.stream === 'http10' && o.kind !== 'request', 'the report for http10');
  await waitFor(() => h10.raw.includes('one'), 2000, 'http10 data').catch((e) => fail(e.message));
  send({ cmd: 'end', stream: 'http10' });
  const h10closed = await Promise.race([h10.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 1500))]);
  const h10body = h10.raw.subarray(h10.raw.indexOf('\r\n\r\n') + 4).toString('utf8');
  console.log(
    `     HTTP/1.0: ${h10.chunked ? 'CHUNKED framing' : 'no chunked framing'}, body on the wire ${esc(h10body)}, ` +
      `${h10closed ? 'the connection closed at the end' : 'the connection was NOT closed 1.5 s after the end'}`,
  );
  h10.sock.destroy();

  // 100 streams at once.
  const N = 100;
  const many = [];
  for (let i = 0; i < N; i++) many.push(rawGet(host, port, withId(`m${i}`)));
  try {
    await Promise.all(many.map((_, i) => next((o) => o.stream === `m${i}` && o.kind === 'request', `request m${i}`, 10000)));
    for (let i = 0; i < N; i++) send({ cmd: 'send', stream: `m${i}`, messages: [{ data: `hi ${i}` }] });
    await Promise.all(many.map((_, i) => next((o) => o.stream === `m${i}` && o.kind === 'sent', `sent m${i}`, 10000)));
    await waitFor(() => many.every((s, i) => s.body.includes(`hi ${i}`)), 5000, 'data on all 100 streams');
    for (let i = 0; i < N; i++) send({ cmd: 'end', stream: `m${i}` });
    await waitFor(() => many.every((s) => s.done), 5000, 'the end of all 100 responses');
    console.log(`ok   ${N} streams at once: requests, sends, data and ends`);
  } catch (err) {
    fail(`${N} streams: ${err.message}`);
  }
  for (const s of many) s.sock.destroy();
}

stdinClosed = true;
child.stdin.end();
const { code, signal } = await Promise.race([
  exited,
  new Promise((r) => setTimeout(() => r({ code: 'timeout' }), 8000)),
]);
check(code === 0, `adapter exits with status 0 when stdin closes (got ${code ?? signal})`);
if (code === 'timeout') child.kill();
console.log(failures ? `\n${failures} check(s) failed` : '\nall protocol checks passed');
process.exit(failures ? 1 : 0);
