import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.ts';
import { rtRefusals } from '../../src/ticket/sinks/rt-ticket-sink.ts';

/** RT 5 answers many refusals with HTTP 200 and messages; these are RT's own texts. */
describe('RT refusals in a 200 answer', () => {
  it.each([
    ["Ticket 7: Status 'no-such-status' isn't a valid status for this ticket."],
    ["Couldn't create link: Linking to a deleted ticket is not allowed"],
    ['Permission Denied'],
  ])('%s is a failure', (message) => {
    expect(() => rtRefusals('update ticket 7', ['Ticket 7: Subject changed from a to b', message])).toThrow(PermanentError);
  });

  it('accepted changes and answers that are no list pass', () => {
    expect(() => rtRefusals('update ticket 7', ["Ticket 7: Subject changed from 'a' to 'b'", 'Comments added'])).not.toThrow();
    expect(() => rtRefusals('update ticket 7', { id: 7 })).not.toThrow();
  });
});
