import type { AccessTokenIssuer, KeyRing, Replica, RevocationLog } from '@revocable/core';
import type { StatusListStore } from '@revocable/core/internal';
import type { ServiceConfig } from '../config.js';
import { StatusListIssuer } from './status-list-issuer.js';
import { StatusListPublisher } from './status-list-publisher.js';

/** The one list the service keeps: every access token of this service has its entry there. */
export const STATUS_LIST_ID = '1';

/** `--status-list` running: the issuer that gives tokens their entry, and the list's publisher. */
export interface StatusListService {
  readonly listId: string;
  /** The list's URI: `{issuer}/status-lists/1`. */
  readonly uri: string;
  readonly issuer: StatusListIssuer;
  readonly publisher: StatusListPublisher;
  close(): Promise<void>;
}

/**
 * Starts `--status-list`: reads the live entries, publishes the first list, then keeps it current
 * (see {@link StatusListPublisher}). An index is held until the token's `exp` plus the clock margin
 * plus the list's `ttl`. A first round that fails (the store unreadable) goes to `onError`; the list
 * is then answered 503 until a round succeeds.
 *
 * @example
 * ```ts
 * const statusList = await openStatusList(config, { issuer, keys, replica, log: storage.log, store: storage.statusLists });
 * const { token } = await statusList.issuer.issue({ sub: 'user-1' });
 * ```
 */
export async function openStatusList(
  config: ServiceConfig,
  parts: {
    readonly issuer: AccessTokenIssuer;
    readonly keys: KeyRing;
    readonly replica: Replica;
    readonly log: RevocationLog;
    readonly store: StatusListStore;
    readonly onError?: (error: unknown) => void;
  },
): Promise<StatusListService> {
  const { intervalMs, ttlSec, size } = config.statusList;
  const uri = `${config.issuer}/status-lists/${STATUS_LIST_ID}`;
  const publisher = new StatusListPublisher({
    uri,
    listId: STATUS_LIST_ID,
    size,
    store: parts.store,
    log: parts.log,
    replica: parts.replica,
    keys: parts.keys,
    intervalMs,
    ttlSec,
    ...(parts.onError !== undefined && { onError: parts.onError }),
  });
  await publisher.start();
  const issuer = new StatusListIssuer({
    issuer: parts.issuer,
    store: parts.store,
    publisher,
    listId: STATUS_LIST_ID,
    uri,
    holdAfterExpiryMs: config.revocationPolicy.clockSkewMs + ttlSec * 1000,
  });
  return { listId: STATUS_LIST_ID, uri, issuer, publisher, close: () => publisher.stop() };
}
