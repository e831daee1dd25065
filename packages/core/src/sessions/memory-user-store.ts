import type { ClientRecord, UserRecord } from './records.js';
import type { ClientStore, UserStore } from './user-store.js';

/**
 * {@link UserStore} and {@link ClientStore} in process memory, for tests.
 *
 * @example
 * ```ts
 * const users = new MemoryUserStore();
 * await users.createUser(record);
 * ```
 */
export class MemoryUserStore implements UserStore, ClientStore {
  readonly #users = new Map<string, UserRecord>();
  readonly #byKey = new Map<string, string>();
  readonly #clients = new Map<string, ClientRecord>();

  async createUser(user: UserRecord): Promise<'created' | 'exists'> {
    if (this.#users.has(user.id) || this.#byKey.has(user.usernameKey)) return 'exists';
    this.#users.set(user.id, { ...user });
    this.#byKey.set(user.usernameKey, user.id);
    return 'created';
  }

  async findByUsername(usernameKey: string): Promise<UserRecord | undefined> {
    const id = this.#byKey.get(usernameKey);
    return id === undefined ? undefined : this.getUser(id);
  }

  async getUser(id: string): Promise<UserRecord | undefined> {
    const user = this.#users.get(id);
    return user && { ...user };
  }

  async setPassword(id: string, passwordHash: string, at: number): Promise<boolean> {
    const user = this.#users.get(id);
    if (!user) return false;
    this.#users.set(id, { ...user, passwordHash, passwordChangedAt: at });
    return true;
  }

  async setDisabled(id: string, disabledAt: number | null): Promise<boolean> {
    const user = this.#users.get(id);
    if (!user) return false;
    this.#users.set(id, { ...user, disabledAt });
    return true;
  }

  async listUsers(options: { limit?: number; after?: string } = {}): Promise<UserRecord[]> {
    return [...this.#users.values()]
      .filter((u) => options.after === undefined || u.usernameKey > options.after)
      .sort((a, b) => (a.usernameKey < b.usernameKey ? -1 : 1))
      .slice(0, options.limit ?? 100)
      .map((u) => ({ ...u }));
  }

  async putClient(client: ClientRecord): Promise<void> {
    this.#clients.set(client.id, { ...client });
  }

  async getClient(id: string): Promise<ClientRecord | undefined> {
    const client = this.#clients.get(id);
    return client && { ...client };
  }

  async listClients(): Promise<ClientRecord[]> {
    return [...this.#clients.values()].map((c) => ({ ...c }));
  }

  async deleteClient(id: string): Promise<boolean> {
    return this.#clients.delete(id);
  }
}
