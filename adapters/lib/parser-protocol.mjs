// The parser adapter protocol (docs/adapter-protocol.md) for the bundled
// Node.js parser adapters: every adapters/NAME/adapter.mjs of a Node.js
// parser library loads its library, writes runCase(chunks) (the records the
// library gives for the input, as Buffers in the request's chunks; or a
// promise of them) and calls runParserAdapter(). This module writes the
// hello line, reads one request per line on stdin and answers each, in
// order, on stdout: the records, or an error when the library threw or the
// request was malformed.

import readline from 'node:readline';

function send(obj) {
  // Writes to a pipe are synchronous on POSIX in Node.js, so lines never
  // interleave and each one is out before the next request is read.
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

// library: its name, for "NAME threw: ..."; hello: the hello line's object.
export function runParserAdapter(library, hello, runCase) {
  send({ hello });
  // Requests are answered one at a time, in order (runCase may be async).
  let queue = Promise.resolve();
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    queue = queue.then(async () => {
      let caseName = null;
      try {
        const req = JSON.parse(line);
        caseName = req.case;
        const chunks = req.chunks.map((b64) => Buffer.from(b64, 'base64'));
        let records;
        try {
          records = await runCase(chunks);
        } catch (err) {
          send({ case: caseName, error: `${library} threw: ${err && err.stack ? err.stack : err}` });
          return;
        }
        send({ case: caseName, records });
      } catch (err) {
        send({ case: caseName, error: `adapter: bad request: ${err.message}` });
      }
    });
  });
  rl.on('close', () => queue.then(() => process.exit(0)));
}
