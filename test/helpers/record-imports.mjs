// `node --import ./test/helpers/record-imports.mjs …`: appends every module URL the process
// resolves to the file named by $RECORD_IMPORTS (a test of what a command loads).
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(process.env.RECORD_IMPORTS ?? '/dev/null')}, result.url + '\\n');
  return result;
}`)}`,
);
