// A real `revocable serve` (in process, in-memory storage) for the edge's suites, and what they ask of it.
import type { RunningService } from '@revocable/server';
import { ADMIN_TOKEN, CLIENT, Http, startService } from '../../../server/test/support/service.js';

export { ADMIN_TOKEN, CLIENT, freePort } from '../../../server/test/support/service.js';

/** The service, and tokens from it. */
export interface TestService {
  readonly service: RunningService;
  readonly issuer: string;
  readonly http: Http;
  /** A session for `sub` with `scope`, minted by the admin API (a trusted backend's login). */
  mint(sub: string, scope?: string): Promise<{ access_token: string; session_id: string }>;
  /** Ends the session of `token` at the service (its logout). */
  logout(token: string): Promise<void>;
}

export async function startTestService(extra: string[] = []): Promise<TestService> {
  const service = await startService(':memory:', extra);
  const issuer = service.runtime.config.issuer;
  const http = new Http(service.url);
  return {
    service,
    issuer,
    http,
    async mint(sub, scope) {
      const answer = await fetch(`${service.url}/admin/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sub, ...(scope !== undefined && { scope }) }),
      });
      if (answer.status !== 201) throw new Error(`mint failed: ${answer.status} ${await answer.text()}`);
      return (await answer.json()) as { access_token: string; session_id: string };
    },
    async logout(token) {
      const answer = await fetch(`${service.url}/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      if (answer.status !== 204) throw new Error(`logout failed: ${answer.status} ${await answer.text()}`);
    },
  };
}

/** Polls `call` until `done(answer)` or the deadline (generous: the CI machine is loaded). */
export async function eventually<T>(
  call: () => Promise<T>,
  done: (value: T) => boolean,
  deadlineMs = 10_000,
): Promise<T> {
  let value = await call();
  for (const end = Date.now() + deadlineMs; !done(value) && Date.now() < end; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await call();
  }
  return value;
}

export { CLIENT as SERVICE_CLIENT };
