#!/usr/bin/env node
// The syncdesk CLI. It runs either the compiled JavaScript in dist/ (`npm run build`) or the
// TypeScript in src/ through tsx, so a clone works without a build step:
//   SYNCDESK_RUNTIME=dist   dist/, and an error when it is not built (never tsx)
//   SYNCDESK_RUNTIME=tsx    src/ through tsx
//   unset                   src/ when it is here (a checkout: a stale dist/ is never run by
//                           mistake), else dist/ (the image and other installs without sources)
import { existsSync } from 'node:fs';
import { applyV8Mode } from './v8-mode.js';

// what a person must install or build: starting again changes nothing, so it exits as a
// configuration error does (78, EX_CONFIG), which the systemd unit does not restart (blind61 D5)
const EXIT_CONFIG = 78;

// package.json's engines: an older Node (a distribution's /usr/bin/node) must not run it half-way
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`syncdesk: needs Node.js 22 or later; this is ${process.version} (${process.execPath}): install Node 22 (scripts/node-lts.sh) and put it first on PATH`);
  process.exit(EXIT_CONFIG);
}

// first, before anything fills the heap (why: v8-mode.js)
applyV8Mode();

const root = new URL('../', import.meta.url);
const source = new URL('src/cli/main.ts', root);
const compiled = new URL('dist/src/cli/main.js', root);
const runtime = process.env.SYNCDESK_RUNTIME || (existsSync(source) ? 'tsx' : 'dist');

let main;
if (runtime === 'dist') {
  if (!existsSync(compiled)) {
    console.error(`syncdesk: ${compiled.pathname} is missing: run \`npm run build\` (or unset SYNCDESK_RUNTIME to run the sources)`);
    process.exit(EXIT_CONFIG);
  }
  ({ main } = await import(compiled.href));
} else if (runtime === 'tsx') {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  console.error(`syncdesk: SYNCDESK_RUNTIME=${runtime}: expected dist or tsx`);
  process.exit(2);
}
process.exitCode = await main(process.argv);
