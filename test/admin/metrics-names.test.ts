import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/admin/metrics.ts';
import { countIngest } from '../../src/admin/instrument.ts';
import { packageVersion } from '../../src/version.ts';

describe('metrics as Prometheus users expect them', () => {
  it('uses the standard process_* and nodejs_* names, a build_info, and labelled counters present at 0', async () => {
    const metrics = createMetrics();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).not.toMatch(/^syncdesk_process_/m);
    expect(text).toContain(`syncdesk_build_info{version="${packageVersion()}",node="${process.version}"} 1`);
    expect(text).toContain('syncdesk_sync_errors_total{category="DuplicateAttribute"} 0');
    expect(text).toContain('syncdesk_mails_rejected_total{reason="unreadable"} 0');
    // someone else's mail is counted by syncdesk_mails_ingested_total{status="not-a-report"}: a rejection series for it stayed 0 (blind test 18)
    expect(text).not.toContain('syncdesk_mails_rejected_total{reason="not-a-report"}');
    expect(text).toContain('syncdesk_jobs_total{queue="ticket",result="failed"} 0');
    expect(text).toContain('syncdesk_graph_throttled_total{level="batch-item"} 0');
    // the first quarantine after a restart is an increase rate() sees (blind62 O4)
    expect(text).toContain('syncdesk_mails_quarantined_total{origin="imap"} 0');
  });

  it('says whether the mailbox is connected and when the last mail came in', async () => {
    const metrics = createMetrics({ processMetrics: false });
    // a worker host has no mailbox: no series, rather than a 0 that reads as a mailbox down
    expect(await metrics.registry.metrics()).not.toContain('syncdesk_mailbox_connected');
    let connected = true;
    metrics.watchMailbox(() => connected);
    expect(await metrics.registry.metrics()).toMatch(/^syncdesk_mailbox_connected 1$/m);
    connected = false;
    expect(await metrics.registry.metrics()).toMatch(/^syncdesk_mailbox_connected 0$/m);
    const before = Date.now() / 1000;
    countIngest(metrics, { status: 'queued' } as never, { origin: 'imap' } as never);
    const at = Number(/^syncdesk_last_mail_received_timestamp_seconds (\S+)$/m.exec(await metrics.registry.metrics())?.[1]);
    expect(at).toBeGreaterThanOrEqual(before - 1);
  });
});
