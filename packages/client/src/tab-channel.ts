/**
 * An access token as the tabs share it (in memory and over BroadcastChannel only).
 *
 * @example
 * ```ts
 * const grant: Grant = { token, issuedAt: Date.now(), expiresAt: Date.now() + 600_000, sessionId: 'sid' };
 * ```
 */
export interface Grant {
  readonly token: string;
  /** When this machine received it, epoch ms. */
  readonly issuedAt: number;
  /** Epoch ms, by this machine's clock. */
  readonly expiresAt: number;
  readonly sessionId: string | null;
}

/**
 * Why a session is no longer usable in this tab.
 *
 * @example
 * ```ts
 * const text: Record<SignOutReason, string> = {
 *   'not-signed-in': 'Please sign in.',
 *   logout: 'You logged out.',
 *   'logout-everywhere': 'You logged out on every device.',
 *   'session-ended': 'Your session ended; please sign in again.',
 * };
 * ```
 */
export type SignOutReason = 'not-signed-in' | 'logout' | 'logout-everywhere' | 'session-ended';

/**
 * What the tabs of one app tell each other. Only a BroadcastChannel carries `token` messages.
 *
 * @example
 * ```ts
 * const bye: TabMessage = { type: 'logout', from: 'tab-1', reason: 'logout' };
 * ```
 */
export type TabMessage =
  | { readonly type: 'token'; readonly from: string; readonly grant: Grant }
  | { readonly type: 'token-request'; readonly from: string }
  | { readonly type: 'logout'; readonly from: string; readonly reason: SignOutReason };

/**
 * A message bus between the tabs of one origin; pass your own in `ClientEnvironment` to replace
 * BroadcastChannel (e.g. in tests, or across a SharedWorker).
 *
 * @example
 * ```ts
 * const silent: TabChannel = { post() {}, subscribe: () => () => {}, close() {} };
 * const auth = new RevocableClient({ environment: { channel: silent } });
 * ```
 */
export interface TabChannel {
  post(message: TabMessage): void;
  subscribe(listener: (message: TabMessage) => void): () => void;
  close(): void;
}

/** The part of `BroadcastChannel` the client uses (injectable for tests). */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  close(): void;
}

/** The part of `window` a storage-event channel needs. */
export interface StorageEventSource {
  addEventListener(type: 'storage', listener: (event: StorageEvent) => void): void;
  removeEventListener(type: 'storage', listener: (event: StorageEvent) => void): void;
}

function isTabMessage(value: unknown): value is TabMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { type, from } = value as { type?: unknown; from?: unknown };
  return typeof from === 'string' && (type === 'token' || type === 'token-request' || type === 'logout');
}

class Listeners {
  readonly #set = new Set<(message: TabMessage) => void>();
  add(listener: (message: TabMessage) => void): () => void {
    this.#set.add(listener);
    return () => this.#set.delete(listener);
  }
  emit(data: unknown): void {
    if (!isTabMessage(data)) return;
    for (const listener of [...this.#set]) listener(data);
  }
}

/** Tabs talk over a BroadcastChannel: same origin, never stored anywhere. */
export function broadcastTabChannel(channel: BroadcastChannelLike): TabChannel {
  const listeners = new Listeners();
  const onMessage = (event: MessageEvent) => listeners.emit(event.data);
  channel.addEventListener('message', onMessage);
  return {
    post: (message) => channel.postMessage(message),
    subscribe: (listener) => listeners.add(listener),
    close: () => {
      channel.removeEventListener('message', onMessage);
      channel.close();
    },
  };
}

/**
 * Fallback without BroadcastChannel: a `storage` event carries the message to the other tabs. The
 * value passes through localStorage, so tokens are never sent this way (the other tabs refresh
 * themselves, one at a time, under the refresh lock); logouts and token requests are.
 */
export function storageTabChannel(storage: Storage, events: StorageEventSource, key: string): TabChannel {
  const listeners = new Listeners();
  const onStorage = (event: StorageEvent) => {
    if (event.key !== key || event.newValue === null) return;
    try {
      listeners.emit(JSON.parse(event.newValue));
    } catch {
      /* not ours */
    }
  };
  events.addEventListener('storage', onStorage);
  return {
    post: (message) => {
      if (message.type === 'token') return;
      try {
        storage.setItem(key, JSON.stringify({ ...message, nonce: Math.random() }));
        storage.removeItem(key);
      } catch {
        /* storage full or denied: the other tabs find out on their next refresh */
      }
    },
    subscribe: (listener) => listeners.add(listener),
    close: () => events.removeEventListener('storage', onStorage),
  };
}

/** No other tab can be reached: each tab is on its own. */
export function isolatedTabChannel(): TabChannel {
  return { post: () => {}, subscribe: () => () => {}, close: () => {} };
}
