import { fileScenarioDesk } from './file-desk.ts';
import { memoryScenarioState, runTicketScenarios } from './scenarios.ts';

/**
 * The ticket semantics without Redis: the whole scenario table on the file sink and the
 * in-memory state store. The per-desk runs (*.int.test.ts) keep it as a contract every
 * adapter passes against its real or faked desk.
 */
runTicketScenarios('file sink, in-memory state', fileScenarioDesk, memoryScenarioState);
