// `--import`ed first by a parse bench process that measures the parser in the V8 mode
// `syncdesk start` runs in: the same call bin/syncdesk.js makes.
import { applyV8Mode } from '../bin/v8-mode.js';

applyV8Mode();
