// validate.mjs FILE...: each SARIF file against the SARIF 2.1.0 JSON schema
// (draft-04), as @microsoft/jest-sarif ships it, with Ajv. Prints "FILE: valid"
// or each schema error with its JSON pointer; exit status 0 when all are valid,
// 1 when one is not, 2 when a file cannot be read or parsed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';

const require = createRequire(import.meta.url);
const schemaPath = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
// unicodeRegExp false: the schema's language-tag pattern has a stray ']' that
// JavaScript's u flag refuses (the pattern is read as the schema authors'
// tools read it).
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

let status = 0;
for (const file of process.argv.slice(2)) {
  let doc;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.log(`${file}: cannot read: ${err.message}`);
    status = 2;
    continue;
  }
  if (validate(doc)) {
    console.log(`${file}: valid (${schema.title})`);
  } else {
    status = Math.max(status, 1);
    for (const e of validate.errors) console.log(`${file}: ${e.instancePath || '/'} ${e.message}`);
  }
}
process.exit(status);
