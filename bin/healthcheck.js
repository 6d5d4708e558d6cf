#!/usr/bin/env node
// The container's health check (Dockerfile HEALTHCHECK, docker-compose.yml): 0 when the admin
// server of this container's syncdesk answers /healthz, else 1. With ADMIN_PORT=0 there is no
// admin server to ask, and a check that always failed would mark a working container unhealthy
// (and restart it under an orchestrator): it answers 0 and says why.
// No dependency but Node's own fetch: the image has no curl.
const port = process.env.ADMIN_PORT ?? '9464';
if (port === '0') {
  console.log('healthcheck: admin server off (ADMIN_PORT=0): nothing to ask');
  process.exit(0);
}
const url = `http://127.0.0.1:${port}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  if (!res.ok) console.error(`healthcheck: ${url} answered HTTP ${res.status}`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: ${url}: ${err.cause?.code ?? err.message}`);
  process.exit(1);
}
