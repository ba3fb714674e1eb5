// Fails on a breaking change of the GraphQL schema against the last released
// one, unless it is acknowledged: scripts/check.sh runs it with
// @graphql-inspector/core (pinned there) on NODE_PATH.
//
//   node scripts/schema-check.cjs RELEASED CURRENT ACKNOWLEDGED
//   node scripts/schema-check.cjs --self-test RELEASED
//
// --self-test removes a field (Query.me) from a copy of RELEASED and
// checks that the check fails on it, so a broken check cannot pass quietly.
//
// RELEASED is the schema clients were last given (graph/contract/released.graphql),
// CURRENT the one this tree serves (graph/schema.graphql), ACKNOWLEDGED a
// text file of the breaking changes made on purpose: one per line, the
// change's type and path as this script prints them, then "#" and why.
// Dangerous changes (a default or a new interface that may change what a
// client sees) are listed, not failed. An acknowledgement that matches no
// change fails too, so the file says only what is true.
'use strict';

const fs = require('node:fs');
const { buildSchema, parse, print } = require('graphql');
const { diff, CriticalityLevel } = require('@graphql-inspector/core');

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--self-test' && args.length === 2) {
    return selfTest(args[1]);
  }
  const [released, current, ackFile] = args;
  if (!ackFile || args.length !== 3) {
    console.error('usage: schema-check.cjs RELEASED CURRENT ACKNOWLEDGED | --self-test RELEASED');
    process.exit(2);
  }
  const sdl = (f) => fs.readFileSync(f, 'utf8');
  const failed = await check(sdl(released), sdl(current), fs.readFileSync(ackFile, 'utf8'), ackFile, current);
  if (failed) {
    console.error(`\nA client built against ${released} may break. Keep the schema compatible, or, if the break is`);
    console.error(`intended, add "TYPE PATH  # why" for each change above to ${ackFile}.`);
    process.exit(1);
  }
}

// selfTest runs the check on released without Query.me, which must fail.
async function selfTest(released) {
  const doc = parse(fs.readFileSync(released, 'utf8'));
  const query = doc.definitions.find((d) => d.kind === 'ObjectTypeDefinition' && d.name.value === 'Query');
  const fields = query.fields.filter((f) => f.name.value !== 'me');
  if (fields.length === query.fields.length) throw new Error(`${released} has no Query.me to remove`);
  const removed = print({ ...doc, definitions: doc.definitions.map((d) => (d === query ? { ...query, fields } : d)) });
  const silent = { log() {}, error() {} };
  if (!(await check(fs.readFileSync(released, 'utf8'), removed, '', 'none', 'the copy', silent))) {
    console.error('schema-check self-test: removing Query.me was not reported as breaking');
    process.exit(1);
  }
  console.log('schema-check self-test: a removed field (Query.me) fails the check');
}

// check diffs two schemas and reports every change; it returns true when a
// breaking change is not acknowledged or an acknowledgement matches none.
async function check(releasedSDL, currentSDL, ackText, ackFile, current, out = console) {
  const changes = await diff(buildSchema(releasedSDL), buildSchema(currentSDL));
  const acknowledged = new Map();
  ackText.split('\n').forEach((line, i) => {
    const [entry, why = ''] = line.split('#', 2).map((s) => s.trim());
    if (entry === '') return;
    const [type, path, extra] = entry.split(/\s+/);
    if (!path || extra || why === '') {
      throw new Error(`${ackFile}:${i + 1}: want "TYPE PATH  # why", got ${JSON.stringify(line)}`);
    }
    acknowledged.set(`${type} ${path}`, { line: i + 1, used: false });
  });

  let failed = false;
  let safe = 0;
  for (const c of changes) {
    const key = `${c.type} ${c.path}`;
    switch (c.criticality.level) {
      case CriticalityLevel.Breaking: {
        const ack = acknowledged.get(key);
        if (ack) {
          ack.used = true;
          out.log(`breaking, acknowledged: ${key}: ${c.message}`);
        } else {
          failed = true;
          out.error(`BREAKING: ${key}: ${c.message}`);
        }
        break;
      }
      case CriticalityLevel.Dangerous:
        out.log(`dangerous: ${key}: ${c.message}`);
        break;
      default:
        safe++;
    }
  }
  out.log(`${safe} safe changes (additions, descriptions)`);
  for (const [key, ack] of acknowledged) {
    if (!ack.used) {
      failed = true;
      out.error(`${ackFile}:${ack.line}: "${key}" is acknowledged but is not a breaking change of ${current}`);
    }
  }
  return failed;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
