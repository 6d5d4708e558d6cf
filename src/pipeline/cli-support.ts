/** @deprecated moved to src/app/cli-support.ts; this re-export goes in the next commit. */
export * from '../app/cli-support.ts';
