import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { errorText, fail, isUnreachable, type CheckResult } from './check.ts';

/** The HTTP plumbing of the desk checks: a plain axios per desk, and the usual failures named with their fix. */

export function http(baseURL: string, timeoutMs: number, auth?: { username: string; password: string }, headers: Record<string, string> = {}): AxiosInstance {
  return axios.create({ baseURL, auth, headers: { Accept: 'application/json', ...headers }, timeout: timeoutMs, validateStatus: () => true, maxRedirects: 0 });
}

/** The usual HTTP failures, named with their fix; null when the answer is a success. */
export function httpProblem(check: string, what: string, res: AxiosResponse, authFix: string): CheckResult | null {
  if (res.status >= 200 && res.status < 300) {
    // An SSO page or a hibernating instance answers 200 with HTML: not the API.
    if (typeof res.data === 'string' && res.data.trim()) return fail(check, `${what}: HTTP ${res.status} with ${String(res.headers['content-type'] ?? 'no content type')}, not JSON`, 'the URL answers with a web page (SSO login, a hibernating developer instance): wake the instance, or point the desk URL at the API host');
    return null;
  }
  if (res.status === 401) return fail(check, `${what}: HTTP 401, the credentials are refused`, authFix);
  if (res.status >= 300 && res.status < 400) {
    return fail(check, `${what}: HTTP ${res.status} redirect to ${String(res.headers.location ?? '?')}`, 'the URL points at a login page or the wrong path: set the base URL of the desk');
  }
  const body = typeof res.data === 'string' ? res.data.slice(0, 160) : JSON.stringify(res.data ?? '').slice(0, 160);
  return fail(check, `${what}: HTTP ${res.status} ${body}`, res.status === 403 ? 'the account lacks rights for this call: see the README section for this desk' : 'check the desk URL and that the API is enabled');
}

export function networkProblem(check: string, url: string, err: unknown): CheckResult {
  return fail(check, `${url}: ${errorText(err)}`, isUnreachable(err) ? 'check the desk URL and that it is reachable from here' : 'check the desk URL and its TLS certificate');
}

