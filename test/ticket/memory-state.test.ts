import { describe } from 'vitest';
import { memoryState } from './memory-state.ts';
import { runStateStoreContract } from './state-store-contract.ts';

describe('in-memory ticket state', () => {
  runStateStoreContract(async () => memoryState().handle());
});
