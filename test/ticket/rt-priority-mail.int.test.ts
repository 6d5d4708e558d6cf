import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TICKET_PRIORITY } from '../../schemas/config.schema.ts';
import type { TicketDraft } from '../../schemas/ticket.schema.ts';
import { createMailStore } from '../../src/ingest/mail-store.ts';
import { createLogger } from '../../src/logger.ts';
import { attachmentName, createMailAttacher } from '../../src/ticket/sinks/mail-attachment.ts';
import { createRtTicketSink } from '../../src/ticket/sinks/rt-ticket-sink.ts';
import { services } from '../helpers/services.ts';

/**
 * The priority and the report mail on a ticket in a REAL Request Tracker 5 (#12): what an agent
 * sees, read back over REST2 with a client of its own.
 */

const RAW = Buffer.from(
  'From: MSOnlineServicesTeam@microsoftonline.com\r\nTo: admin@contoso.com\r\nSubject: Directory Synchronization Error Report\r\nMessage-ID: <rt-attach@example.com>\r\n\r\nIdentity: john@contoso.com\r\nError: AttributeValueMustBeUnique\r\n',
);

let dir: string;
let mailId: string;
let rt: AxiosInstance;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'syncdesk-rt-mail-'));
  const store = createMailStore({ dir, maxMailBytes: 1_000_000, retentionDays: 90 });
  mailId = (await store.put(RAW, { origin: 'imap', receivedAt: new Date() })).record.mailId;
  const s = services();
  rt = axios.create({ baseURL: s.RT_REST2_URL, headers: { Authorization: `token ${s.RT_TOKEN}` } });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sink(url = services().RT_URL!) {
  const s = services();
  const mail = createMailAttacher({ storeDir: dir, attach: true, maxBytes: 1_000_000 });
  return createRtTicketSink({ url, token: s.RT_TOKEN, queue: s.RT_QUEUE!, keyField: s.RT_DEDUP_CF! }, { logger: createLogger({ level: 'silent' }), priority: DEFAULT_TICKET_PRIORITY, mail });
}

/** A reverse proxy in front of RT with a body limit, as nginx's client_max_body_size: 413 above it, without passing the request on. */
async function limitingProxy(maxBody: number): Promise<{ url: string; refused: () => number; close: () => Promise<void> }> {
  const target = new URL(services().RT_URL!);
  let refused = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.length > maxBody) {
        refused++;
        res.writeHead(413, { 'content-type': 'text/html' }).end('<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center><hr><center>nginx</center></body></html>');
        return;
      }
      const fwd = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      fwd.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${target.pathname}`, refused: () => refused, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function draft(extra: Partial<TicketDraft>): TicketDraft {
  const key = `aadsync-${Date.now().toString(16)}${Math.random().toString(16).slice(2, 10)}`;
  return { key, summary: 'Error 016: Synchronization has been stopped. — tenant Contoso Ltd', keyDisplay: key, body: [{ kind: 'paragraph', text: 'Synchronization has been stopped.' }], ...extra };
}

describe('RT 5: priority and the report mail (real RT)', () => {
  it('a tenant-wide stop is created High (100) with the report mail attached as message/rfc822', async () => {
    const t = await sink().create(draft({ scope: 'tenant', mailId }), { idempotencyKey: 'rt-a' });
    const ticket = await rt.get(`/ticket/${t.id}`);
    expect(Number(ticket.data.Priority)).toBe(100);
    const atts = await rt.get(`/ticket/${t.id}/attachments`, { params: { fields: 'Filename,ContentType,Content', per_page: 20 } });
    const file = (atts.data.items as Array<{ Filename?: string; ContentType?: string; Content?: string }>).find((a) => a.Filename === attachmentName(mailId));
    expect(file?.ContentType).toBe('message/rfc822');
    expect(file?.Content).toContain('Subject: Directory Synchronization Error Report');
    const body = (atts.data.items as Array<{ ContentType?: string; Content?: string }>).find((a) => a.ContentType === 'text/html');
    expect(body?.Content).toContain(`attached as ${attachmentName(mailId)}`);
  });

  it('one object is Medium (50); a mail not on this host is named by its path, nothing attached', async () => {
    const other = 'c'.repeat(64);
    const t = await sink().create(draft({ scope: 'object', mailId: other }), { idempotencyKey: 'rt-b' });
    expect(Number((await rt.get(`/ticket/${t.id}`)).data.Priority)).toBe(50);
    const atts = await rt.get(`/ticket/${t.id}/attachments`, { params: { fields: 'Filename,ContentType,Content', per_page: 20 } });
    const items = atts.data.items as Array<{ Filename?: string; ContentType?: string; Content?: string }>;
    expect(items.some((a) => a.Filename?.endsWith('.eml'))).toBe(false);
    const body = items.find((a) => a.ContentType === 'text/html');
    expect(body?.Content).toContain(join(dir, `${other}.eml`));
  });

  it('a proxy refusing the create with the mail (413) costs the ticket nothing: created again without it, the mail named', async () => {
    const big = Buffer.concat([RAW, Buffer.from(`${'x'.repeat(76)}\r\n`.repeat(400))]);
    const bigId = (await createMailStore({ dir, maxMailBytes: 1_000_000, retentionDays: 90 }).put(big, { origin: 'imap', receivedAt: new Date() })).record.mailId;
    const proxy = await limitingProxy(16_000);
    try {
      const t = await sink(proxy.url).create(draft({ scope: 'tenant', mailId: bigId }), { idempotencyKey: 'rt-c' });
      expect(proxy.refused()).toBe(1);
      const atts = await rt.get(`/ticket/${t.id}/attachments`, { params: { fields: 'Filename,ContentType,Content', per_page: 20 } });
      const items = atts.data.items as Array<{ Filename?: string; ContentType?: string; Content?: string }>;
      expect(items.some((a) => a.Filename?.endsWith('.eml'))).toBe(false);
      expect(items.find((a) => a.ContentType === 'text/html')?.Content).toContain('not attached (the desk refused the attachment: rt POST /ticket: HTTP 413');
      expect(Number((await rt.get(`/ticket/${t.id}`)).data.Priority)).toBe(100);
    } finally {
      await proxy.close();
    }
  });
});
