import { TabMutex } from '../../src/refresh-lock.js';
import type { TabChannel, TabMessage } from '../../src/tab-channel.js';

/** localStorage in memory. */
export class MemoryStorage implements Storage {
  [name: string]: any;
  readonly #items = new Map<string, string>();
  get length(): number {
    return this.#items.size;
  }
  clear(): void {
    this.#items.clear();
  }
  getItem(key: string): string | null {
    return this.#items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.#items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.#items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.#items.set(key, String(value));
  }
  dump(): string {
    return JSON.stringify([...this.#items]);
  }
}

/** BroadcastChannels of one origin: a message reaches every other member, asynchronously, as a copy. */
export class TabBus {
  readonly #members = new Set<(message: TabMessage) => void>();
  readonly sent: TabMessage[] = [];

  channel(): TabChannel {
    const listeners = new Set<(message: TabMessage) => void>();
    const deliver = (message: TabMessage) => {
      for (const listener of [...listeners]) listener(message);
    };
    this.#members.add(deliver);
    return {
      post: (message) => {
        this.sent.push(message);
        for (const member of this.#members)
          if (member !== deliver) setTimeout(() => member(structuredClone(message)), 1);
      },
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      close: () => this.#members.delete(deliver),
    };
  }
}

/** `navigator.locks` shared by the tabs of one origin (one lock name), with `ifAvailable`. */
export function sharedLocks() {
  const mutex = new TabMutex();
  let held = 0;
  const lock = { name: 'shared' };
  return {
    request: async <T>(
      _name: string,
      options: { mode: 'exclusive'; ifAvailable?: boolean },
      task: (lock: unknown) => Promise<T>,
    ): Promise<T> => {
      if (options.ifAvailable && held > 0) return task(null);
      held++;
      try {
        return await mutex.run(() => task(lock));
      } finally {
        held--;
      }
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The service's browser endpoints, in memory: a cookie jar shared by every tab, refresh-token rotation
 * with reuse detection (no grace window), access tokens that expire or get revoked on demand.
 */
export class FakeService {
  readonly origin = 'https://auth.test';
  readonly requests: Request[] = [];
  /** Milliseconds each refresh takes, so concurrent refreshes overlap. */
  refreshDelayMs = 5;
  #cookie: string | null = null;
  #generation = 0;
  #serial = 0;
  #ended = false;
  readonly expired = new Set<string>();
  readonly revoked = new Set<string>();
  reuseDetected = false;
  /** Answer API errors as a plain-text body with only an RFC 6750 challenge carrying the code. */
  plainErrors = false;

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    this.requests.push(request.clone());
    const url = new URL(request.url);
    if (url.origin !== this.origin)
      return Response.json({ elsewhere: true, auth: request.headers.get('authorization') });
    switch (`${request.method} ${url.pathname}`) {
      case 'POST /auth/register':
        return Response.json({ id: 'u1', username: 'ada' }, { status: 201 });
      case 'POST /auth/login':
        this.#ended = false;
        return this.#issue();
      case 'POST /auth/refresh':
        return this.#refresh(request);
      case 'POST /auth/logout':
      case 'POST /auth/logout-all':
        this.#ended = true;
        this.#cookie = null;
        return url.pathname.endsWith('all')
          ? Response.json({ ended_sessions: 2 })
          : new Response(null, { status: 204 });
      default:
        return this.#api(request);
    }
  };

  refreshes(): number {
    return this.requests.filter((r) => new URL(r.url).pathname === '/auth/refresh').length;
  }

  endSession(): void {
    this.#ended = true;
  }

  #issue(): Response {
    this.#generation++;
    this.#cookie = `rt-${this.#generation}`;
    return Response.json({
      access_token: `at-${++this.#serial}`,
      token_type: 'Bearer',
      expires_in: 600,
      session_id: 's1',
    });
  }

  async #refresh(request: Request): Promise<Response> {
    const sent = this.#cookie;
    if (request.headers.get('x-revocable-csrf') !== '1')
      return Response.json({ error: 'ERR_CSRF' }, { status: 403 });
    await sleep(this.refreshDelayMs);
    if (sent === null || this.#ended)
      return Response.json({ error: 'ERR_REFRESH_TOKEN_INVALID', message: 'no session' }, { status: 401 });
    if (sent !== this.#cookie) {
      this.reuseDetected = true;
      this.#ended = true;
      return Response.json({ error: 'ERR_REFRESH_TOKEN_REUSED', message: 'reused' }, { status: 401 });
    }
    return this.#issue();
  }

  async #api(request: Request): Promise<Response> {
    const token = request.headers.get('authorization')?.replace(/^Bearer /, '');
    const deny = (error: string) =>
      this.plainErrors
        ? new Response('denied', {
            status: 401,
            headers: {
              'www-authenticate': `Bearer error="invalid_token", error_description="${error}: denied"`,
            },
          })
        : Response.json({ error }, { status: 401 });
    if (!token) return deny('ERR_TOKEN_MISSING');
    if (this.expired.has(token)) return deny('ERR_TOKEN_EXPIRED');
    if (this.revoked.has(token)) return deny('ERR_TOKEN_REVOKED');
    return Response.json({ token, body: request.method === 'GET' ? null : await request.text() });
  }
}
