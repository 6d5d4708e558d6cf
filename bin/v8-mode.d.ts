/** See v8-mode.js: the V8 flags every syncdesk process runs with. */
export function applyV8Mode(): void;
