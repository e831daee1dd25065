import { LeaseLock } from './lease-lock.js';
import { type LockManagerLike, type RefreshLock, TabMutex, webLock } from './refresh-lock.js';
import {
  type BroadcastChannelLike,
  broadcastTabChannel,
  isolatedTabChannel,
  storageTabChannel,
  type TabChannel,
} from './tab-channel.js';

/**
 * What the client takes from the browser. Every member has a default from `globalThis`; tests and
 * unusual hosts (a web view without BroadcastChannel, a worker) pass their own.
 *
 * @example
 * ```ts
 * // A host without Web Locks: force the localStorage lease, keep the other defaults.
 * const auth = new RevocableClient({ environment: { locks: null } });
 * ```
 */
export interface ClientEnvironment {
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Default: `navigator.locks`; `null` forces the localStorage lease. */
  readonly locks?: LockManagerLike | null;
  /** Default: `localStorage` when usable; `null` for none. Never holds a token. */
  readonly storage?: Storage | null;
  /** Default: a BroadcastChannel, else `storage` events, else none. */
  readonly channel?: TabChannel;
  /** Default: `Date.now`. */
  readonly now?: () => number;
}

/** The environment with every default filled in. */
export interface ResolvedEnvironment {
  readonly fetch: typeof fetch;
  readonly lock: RefreshLock;
  readonly storage: Storage | undefined;
  readonly channel: TabChannel;
  readonly now: () => number;
}

function browserStorage(): Storage | undefined {
  try {
    const storage = globalThis.localStorage;
    const probe = '__revocable_probe__';
    storage.setItem(probe, '1');
    storage.removeItem(probe);
    return storage;
  } catch {
    return undefined;
  }
}

function browserLocks(): LockManagerLike | undefined {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  return typeof locks?.request === 'function' ? locks : undefined;
}

function browserChannel(name: string, storage: Storage | undefined): TabChannel {
  const Channel = (globalThis as { BroadcastChannel?: new (name: string) => BroadcastChannelLike })
    .BroadcastChannel;
  if (typeof Channel === 'function') return broadcastTabChannel(new Channel(name));
  const events = (globalThis as { window?: Parameters<typeof storageTabChannel>[1] }).window;
  if (storage && events) return storageTabChannel(storage, events, `${name}:message`);
  return isolatedTabChannel();
}

/** Fills in the defaults; `name` scopes the lock, the channel and the storage keys. */
export function resolveEnvironment(name: string, given: ClientEnvironment = {}): ResolvedEnvironment {
  const storage = given.storage === undefined ? browserStorage() : (given.storage ?? undefined);
  const locks = given.locks === undefined ? browserLocks() : (given.locks ?? undefined);
  const lock: RefreshLock = locks
    ? webLock(locks, `${name}:refresh`)
    : storage
      ? new LeaseLock(storage, `${name}:refresh-lease`)
      : new TabMutex();
  return {
    fetch: given.fetch ?? globalThis.fetch.bind(globalThis),
    lock,
    storage,
    channel: given.channel ?? browserChannel(name, storage),
    now: given.now ?? Date.now,
  };
}
