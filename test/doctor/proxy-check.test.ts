import { describe, expect, it } from 'vitest';
import { checkProxy } from '../../src/doctor/proxy-check.ts';

describe('doctor: the outbound proxy', () => {
  const proxied = { HTTPS_PROXY: 'http://svc:s3cret@proxy.corp.example:3128', NO_PROXY: 'localhost,127.0.0.1' };

  it('has no row when the environment names no proxy', () => {
    expect(checkProxy({}, { version: 'v22.23.0', envProxy: false })).toEqual([]);
  });

  it('warns when Graph lookups would go around the proxy: Node not started with NODE_USE_ENV_PROXY=1, or too old for it', () => {
    const [without] = checkProxy(proxied, { version: 'v22.23.0', envProxy: false });
    expect(without).toMatchObject({ check: 'proxy', status: 'warn', ok: true });
    expect(without!.detail).toBe('outbound requests are to go through http://***@proxy.corp.example:3128 (not for localhost,127.0.0.1): sign-in and the desks follow it, but Graph lookups (Node\'s fetch) go around it in this process');
    expect(without!.fix).toContain('NODE_USE_ENV_PROXY=1');
    const [old] = checkProxy({ https_proxy: 'http://proxy:8080' }, { version: 'v22.12.0', envProxy: true });
    expect(old).toMatchObject({ status: 'warn' });
    expect(old!.fix).toContain('Node 22.21 or later');
  });

  it('warns that HTTP_PROXY alone carries none of it: every call out is HTTPS', () => {
    const [only] = checkProxy({ HTTP_PROXY: 'http://proxy:8080' }, { version: 'v22.23.0', envProxy: true });
    expect(only).toMatchObject({ status: 'warn', detail: 'HTTP_PROXY names http://proxy:8080 but HTTPS_PROXY is not set: Graph lookups and the desks (HTTPS) go around it' });
  });

  it('passes when this Node follows the proxy for fetch too', () => {
    expect(checkProxy(proxied, { version: 'v24.5.0', envProxy: true })).toEqual([
      { check: 'proxy', ok: true, status: 'pass', detail: 'outbound requests go through http://***@proxy.corp.example:3128 (not for localhost,127.0.0.1): Graph, sign-in and the desks' },
    ]);
  });
});
