import { fileScenarioDesk } from './file-desk.ts';
import { memoryScenarioState, runTicketScenarios } from './scenarios.ts';

/**
 * The ticket semantics without Redis: the whole scenario table on the file sink and the
 * in-memory state store, with reports applied chunk by chunk (as the queues do) and at once
 * (digest mode, jobs queued before chunks): both must give the same tickets. The per-desk runs (*.int.test.ts) keep it as a contract every
 * adapter passes against its real or faked desk.
 */
runTicketScenarios('file sink, in-memory state', fileScenarioDesk, memoryScenarioState, 'chunked');
runTicketScenarios('file sink, in-memory state', fileScenarioDesk, memoryScenarioState, 'whole');
