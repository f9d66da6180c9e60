// peer.mjs - times the npm package eventsource-parser inside node over the
// bytes of one benchmark workload (made by `ssespec-bench gen`), split into
// feeds exactly as ssespec-bench splits them. Run by harness/commands/bench.py.
//
//   node bench/peer.mjs --lib DIR --file WORKLOAD.bin --events N
//        [--split whole|1460|16k|random|1] [--random LENGTHS.u32] [--reps 5] [--ms 100]
//
// DIR is the folder whose node_modules holds eventsource-parser (the bundled
// adapter's, adapters/eventsource-parser). What one pass does is what the
// library's README tells a user to do, as the bundled adapter does: a
// streaming TextDecoder turns each chunk of bytes into text (decoding is part
// of the measured work, as it is part of the C parser's), each non-empty
// piece of text goes to parser.feed(), and parser.reset({consume: true})
// ends the stream. Callbacks count events (and their data length), retries
// and comments, like the C benchmark's.
//
// Where a pass over the whole workload would take long (one byte per feed is
// slow), a prefix of the workload is timed instead, split the same way (the
// last chunk cut short; for `whole`, one smaller chunk): bytes_per_pass says
// how much, and MB/s and events/s are computed over it.
//
// Prints one JSON object on stdout.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) {
    if (dflt === undefined) {
      process.stderr.write(`peer.mjs: --${name} is required\n`);
      process.exit(2);
    }
    return dflt;
  }
  return process.argv[i + 1];
}

const libDir = arg('lib');
const file = arg('file');
const split = arg('split', 'whole');
const randomFile = arg('random', '');
const reps = Number(arg('reps', '5'));
const targetMs = Number(arg('ms', '100'));
const expectedEvents = Number(arg('events', '-1'));

const require = createRequire(path.join(path.resolve(libDir), 'package.json'));
const { createParser } = require('eventsource-parser');
const version = require('eventsource-parser/package.json').version;

const buf = new Uint8Array(fs.readFileSync(file));
const total = buf.length;

// Chunk boundaries: ends[i] is where chunk i ends.
function chunkEnds() {
  const ends = [];
  if (split === 'whole') {
    ends.push(total);
  } else if (split === 'random') {
    const raw = fs.readFileSync(randomFile);
    let at = 0;
    for (let i = 0; i + 4 <= raw.length; i += 4) {
      at += raw.readUInt32LE(i);
      ends.push(at);
    }
    if (at !== total) throw new Error(`random lengths add up to ${at}, not ${total}`);
  } else {
    const n = split === '16k' ? 16384 : Number(split);
    if (!(n > 0)) throw new Error(`unknown split ${split}`);
    for (let at = n; ; at += n) {
      ends.push(Math.min(at, total));
      if (at >= total) break;
    }
  }
  return ends;
}

const ends = chunkEnds();
let events = 0;
let dataChars = 0;
let retries = 0;
let comments = 0;

// The chunk ends of a prefix of the workload: the chunks that end within
// it, the last one cut at its end (for `whole`: one chunk of that size).
function endsFor(bytes) {
  const out = [];
  for (const e of ends) {
    if (e >= bytes) {
      out.push(bytes);
      break;
    }
    out.push(e);
  }
  return out;
}

// One pass over the chunks ending at list: a new stream.
function pass(list) {
  const parser = createParser({
    onEvent(event) {
      events++;
      dataChars += event.data.length;
    },
    onRetry() {
      retries++;
    },
    onComment() {
      comments++;
    },
  });
  const decoder = new TextDecoder('utf-8');
  let start = 0;
  for (const end of list) {
    const text = decoder.decode(buf.subarray(start, end), { stream: true });
    if (text !== '') parser.feed(text);
    start = end;
  }
  const rest = decoder.decode();
  if (rest !== '') parser.feed(rest);
  parser.reset({ consume: true });
}

function timed(list) {
  const t0 = process.hrtime.bigint();
  pass(list);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

// How much one pass takes: the whole workload unless that is slow. Start
// at 256 KiB, grow by 4x while a pass takes under half of --ms, and shrink
// again if a pass takes over four times --ms (a parser whose cost grows
// faster than its input: eventsource-parser on lone-CR line ends fed in
// large chunks).
const target = targetMs / 1000;
let size = Math.min(total, 262144);
let list = endsFor(size);
pass(list); // warm up the JIT
let t = timed(list);
while (size < total && t < target / 2) {
  size = size * 8 > total ? total : size * 4; /* the whole when within 2x */
  list = endsFor(size);
  t = timed(list);
}
while (t > 4 * target && size > 65536) {
  size = Math.max(65536, Math.floor(size / 4));
  list = endsFor(size);
  t = timed(list);
}
const bytes = size;
const k = list.length;
events = 0;
const tFirst = timed(list); // warm at this size, and count
const eventsPerPass = events;
const passes = Math.max(1, Math.round(target / Math.max(tFirst, 1e-9)));
const seconds = [];
for (let r = 0; r < reps; r++) {
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) pass(list);
  seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
const sorted = [...seconds].sort((a, b) => a - b);
const med =
  reps % 2 ? sorted[(reps - 1) / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
const out = {
  impl: 'eventsource-parser',
  version,
  node: process.version,
  split,
  bytes_per_pass: bytes,
  workload_bytes: total,
  prefix: bytes < total,
  events_per_pass: eventsPerPass,
  expected_events: bytes < total ? null : expectedEvents,
  feeds_per_pass: k,
  passes,
  first_pass_s: tFirst,
  seconds,
  mb_per_s: (bytes * passes) / med / 1e6,
  events_per_s: (eventsPerPass * passes) / med,
};
process.stdout.write(JSON.stringify(out) + '\n');
