/** @deprecated moved to src/app/runtime.ts; this re-export goes in the next commit. */
export * from '../app/runtime.ts';
