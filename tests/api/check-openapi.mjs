// Checks an OpenAPI 3.1 description with a real validator from npm
// (@seriousme/openapi-schema-validator), then each sample answer against
// the description: the operation and status it names must be described,
// with the answer's media type, and a JSON body must validate (Ajv, JSON
// Schema 2020-12, the dialect of OpenAPI 3.1) against the schema there.
// Usage: node check-openapi.mjs DESCRIPTION.json SAMPLES.json
// SAMPLES: [{method, path (the description's), status, type, body}]
// Prints "ok: …" lines and one line per problem; exits 1 on any problem.
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [descPath, samplesPath] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(descPath, 'utf8'));
const samples = JSON.parse(readFileSync(samplesPath, 'utf8'));
let problems = 0;
const say = (s) => { problems++; console.log(s); };

const validator = new Validator();
const res = await validator.validate(doc);
if (!res.valid) {
  say('the description is not valid OpenAPI 3.1: ' + JSON.stringify(res.errors).slice(0, 4000));
} else {
  console.log(`ok: the description is valid OpenAPI ${validator.version}`);
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
const compiled = new Map();
function validatorFor(key, schema) {
  if (!compiled.has(key)) {
    compiled.set(key, ajv.compile({ ...schema, components: doc.components }));
  }
  return compiled.get(key);
}

let checked = 0;
for (const s of samples) {
  const op = doc.paths?.[s.path]?.[s.method.toLowerCase()];
  if (!op) { say(`${s.method} ${s.path}: not described`); continue; }
  const resp = op.responses?.[String(s.status)] ?? op.responses?.default;
  if (!resp) { say(`${s.method} ${s.path} ${s.status}: the status is not described`); continue; }
  if (s.status === 204 || !s.type) { checked++; continue; }
  const media = s.type.split(';')[0].trim();
  const content = resp.content?.[media] ?? resp.content?.[media.split('/')[0] + '/*'] ??
    resp.content?.['*/*'];
  if (!content) {
    say(`${s.method} ${s.path} ${s.status}: ${media} is not described (${Object.keys(resp.content ?? {})})`);
    continue;
  }
  if (s.body !== undefined && s.body !== null && content.schema) {
    const v = validatorFor(`${s.method} ${s.path} ${s.status} ${media}`, content.schema);
    if (!v(s.body)) {
      say(`${s.method} ${s.path} ${s.status}: the answer does not validate: ` +
          JSON.stringify(v.errors.slice(0, 3)).slice(0, 1500));
      continue;
    }
  }
  checked++;
}
console.log(`ok: ${checked} of ${samples.length} answers validate against the description`);
process.exit(problems ? 1 : 0);
