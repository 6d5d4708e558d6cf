// `node --import` this into syncdesk children of a test: every DNS query answers "no such
// name" at once, so sender trust finds no DKIM key or DMARC record and asks no server
// beyond loopback (the tests' only network).
import dns from 'node:dns';

const nxdomain = async (name) => {
  const err = new Error(`queryTxt ENOTFOUND ${name}`);
  err.code = 'ENOTFOUND';
  throw err;
};
for (const method of ['resolve', 'resolveTxt', 'resolveMx', 'resolve4', 'resolve6', 'resolveCname']) dns.promises[method] = nxdomain;
