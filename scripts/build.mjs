// `npm run build`: compiles src/, schemas/ and workers/ to dist/ (tsconfig.build.json), then
// copies beside them the files the code reads relative to itself at run time:
// package.json (src/version.ts, for --version), examples/ (src/cli/demo.ts) and
// bin/v8-mode.js (workers/index.ts applies the CLI's V8 mode).
// dist/ is rebuilt from scratch, so a deleted source never lingers as stale JavaScript.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

process.chdir(new URL('../', import.meta.url).pathname);
rmSync('dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
copyFileSync('package.json', 'dist/package.json');
cpSync('examples', 'dist/examples', { recursive: true });
cpSync('bin/v8-mode.js', 'dist/bin/v8-mode.js');
