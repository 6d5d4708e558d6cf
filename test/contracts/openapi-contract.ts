import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OpenAPIBackend, type Request as ContractRequest } from 'openapi-backend';
import { multipartFiles, type RecordedCall } from '../fakes/saas-desk-server.ts';

/**
 * Every request a desk adapter sends in its tests, checked against the vendor's published
 * OpenAPI description (the subset kept here, see README.md) with openapi-backend: the method
 * and path must be an operation of the contract, and its parameters and JSON body must match
 * the operation's schemas. A fake can only be as right as the one who wrote it; the contract
 * is the vendor's word.
 */

/** Header a test puts on the requests it sends to a fake itself (to show the fake refusing), so they are not the adapter's. */
export const FROM_TEST = { 'x-syncdesk-test': 'direct' };

const FILES = { jira: 'jira-platform-v3.subset.json', zendesk: 'zendesk-support.subset.json' } as const;
export type ContractName = keyof typeof FILES;

const loaded = new Map<ContractName, Promise<OpenAPIBackend>>();

function load(name: ContractName): Promise<OpenAPIBackend> {
  let api = loaded.get(name);
  if (!api) {
    const definition = JSON.parse(readFileSync(fileURLToPath(new URL(FILES[name], import.meta.url)), 'utf8'));
    // quick: Atlassian's document has `$ref`s with siblings, which strict OpenAPI 3.0 validation of the document refuses.
    const backend = new OpenAPIBackend({ definition, quick: true, strict: false, validate: true, ajvOpts: { strict: false, logger: false } });
    api = backend.init();
    loaded.set(name, api);
  }
  return api;
}

/** What is wrong with each adapter call, as `operationId METHOD path: problem`; empty when every call keeps the contract. */
export async function contractViolations(name: ContractName, calls: RecordedCall[]): Promise<string[]> {
  const api = await load(name);
  const out: string[] = [];
  for (const call of calls) {
    if (call.headers['x-syncdesk-test'] === 'direct') continue;
    const req: ContractRequest = {
      method: call.method.toLowerCase(),
      // Zendesk's next_page links carry `.json`; the published paths do not.
      path: call.path.replace(/\.json$/, ''),
      query: call.query,
      headers: call.headers as Record<string, string>,
      body: bodyOf(call),
    };
    const operation = api.matchOperation(req);
    if (!operation) {
      out.push(`${call.method} ${call.path}: not an operation of the ${name} contract`);
      continue;
    }
    const result = api.validateRequest(req, operation);
    if (!result.valid) {
      const problems = (result.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
      out.push(`${operation.operationId} ${call.method} ${call.path}: ${problems.join('; ')}`);
    }
  }
  return out;
}

/**
 * A JSON body as sent; a multipart/form-data body as its parts, in the shape Atlassian's document
 * gives them (`MultipartFile`: name, originalFilename, contentType, size), so the part names and
 * types are checked too.
 */
function bodyOf(call: RecordedCall): unknown {
  const boundary = /^multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(String(call.headers['content-type'] ?? ''))?.[1];
  if (!boundary) return call.body;
  return multipartFiles(call.rawBytes ?? Buffer.from(String(call.body ?? '')), boundary).map((f) => ({ name: f.name, originalFilename: f.filename, contentType: f.contentType, size: f.bytes.length }));
}
