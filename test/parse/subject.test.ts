import { describe, expect, it } from 'vitest';
import { FORWARD_PREFIX_RE, REPLY_PREFIX_RE, reportSubject, stripSubjectPrefixes } from '../../src/parse/subject.ts';

/**
 * Subjects as gateways, transport rules and lists leave them (blind38 G4: vendors' default
 * tags; a tag left on hid the run's date, and a tagged forward of a run counted as a second run).
 */
const SUBJECT = 'Directory Synchronization Error Report: Monday, 12 January 2026 04:00:00 GMT';
const TAGS = [
  '[EXTERNAL]',
  '[EXT]',
  'EXTERNAL:',
  '*EXTERNAL*',
  '[External Sender]',
  '[IT-alerts]',
  '[SUSPICIOUS MESSAGE]',
  '[SPAM]',
  '[Possible Spam]',
  '[BULK]',
  '{Spam?}',
  '[Caution: External]',
  '(EXTERNAL)',
  '[EXTERNAL] [IT-alerts]',
  'FW: [EXTERNAL]',
  '[EXTERNAL] FW:',
  '[IT-alerts] WG: [Caution: External]',
];

describe('report subjects behind gateway and list tags', () => {
  it.each(TAGS)('%s: a report subject, its date read, the tag gone from the subject shown', (tag) => {
    expect(reportSubject(`${tag} ${SUBJECT}`)).toEqual({ isReport: true, date: 'Monday, 12 January 2026 04:00:00 GMT' });
    expect(stripSubjectPrefixes(`${tag} ${SUBJECT}`)).toBe(SUBJECT);
  });

  it('a tag before a reply or forward prefix still marks a reply or a forward', () => {
    expect(REPLY_PREFIX_RE.test(`[Ticket#4711] RE: ${SUBJECT}`)).toBe(true);
    expect(FORWARD_PREFIX_RE.test(`[IT-alerts] FW: ${SUBJECT}`)).toBe(true);
    expect(REPLY_PREFIX_RE.test(`[IT-alerts] ${SUBJECT}`)).toBe(false);
  });

  it('words that are no tag stay: a question about a report is no report subject', () => {
    expect(reportSubject('Question: Directory Synchronization Error Report - why do we keep getting these?').isReport).toBe(false);
    expect(reportSubject('[IT-alerts] Re: the Directory Synchronization Error Report').isReport).toBe(false);
  });
});
