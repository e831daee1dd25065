import type { ClientRecord, UserRecord } from './records.js';

/**
 * Built-in users.
 *
 * Contract (checked by the user-store conformance suite for every backend):
 * - `createUser` inserts atomically and answers `'exists'` (writing nothing) when `usernameKey` or
 *   `id` is taken, even under concurrent calls: exactly one of them gets `'created'`.
 * - Lookups answer `undefined` when not found.
 * - `setPassword` and `setDisabled` answer `false` when the user does not exist.
 * - `listUsers` pages by `username` order, `after` being the last `usernameKey` of the previous page.
 *
 * @example
 * ```ts
 * if ((await users.createUser(record)) === 'exists') throw conflict();
 * ```
 */
export interface UserStore {
  createUser(user: UserRecord): Promise<'created' | 'exists'>;
  findByUsername(usernameKey: string): Promise<UserRecord | undefined>;
  getUser(id: string): Promise<UserRecord | undefined>;
  setPassword(id: string, passwordHash: string, at: number): Promise<boolean>;
  setDisabled(id: string, disabledAt: number | null): Promise<boolean>;
  listUsers(options?: { readonly limit?: number; readonly after?: string }): Promise<UserRecord[]>;
}

/**
 * Confidential clients added at run time (the CLI's `client add`); clients from configuration are
 * held in memory by the service and never written here.
 *
 * Contract: `putClient` inserts or replaces by `id`; `getClient` answers `undefined` when not found;
 * `deleteClient` answers whether a record was removed.
 */
export interface ClientStore {
  putClient(client: ClientRecord): Promise<void>;
  getClient(id: string): Promise<ClientRecord | undefined>;
  listClients(): Promise<ClientRecord[]>;
  deleteClient(id: string): Promise<boolean>;
}
