// oidc-provider's storage for a stand-in: one in-memory store per stand-in, shared by the provider
// instances a key rotation replaces, so sessions and grants outlive a rotation as at a real provider.
// The adapter contract is oidc-provider's: `find` of an unknown or expired id answers undefined,
// `consume` marks a payload consumed rather than deleting it.

interface Entry {
  readonly payload: Record<string, unknown>;
  readonly expiresAt: number;
}

/**
 * The stand-in's store; `adapter` is what oidc-provider's `adapter` option takes.
 *
 * @example
 * ```ts
 * const store = new ShapeStore();
 * new Provider(issuer, { adapter: store.adapter }); // and again after a key rotation
 * ```
 */
export class ShapeStore {
  readonly #entries = new Map<string, Entry>();

  /** A constructor oidc-provider instantiates once per model name. */
  get adapter(): new (
    model: string,
  ) => ShapeAdapter {
    const entries = this.#entries;
    return class extends ShapeAdapter {
      constructor(model: string) {
        super(model, entries);
      }
    };
  }
}

class ShapeAdapter {
  constructor(
    readonly model: string,
    readonly entries: Map<string, Entry>,
  ) {}

  #key(id: string): string {
    return `${this.model}:${id}`;
  }

  #read(key: string): Record<string, unknown> | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  async upsert(id: string, payload: Record<string, unknown>, expiresIn: number): Promise<void> {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
    this.entries.set(this.#key(id), { payload, expiresAt });
    for (const [index, value] of [
      ['uid', payload['uid']],
      ['userCode', payload['userCode']],
    ] as const) {
      if (typeof value === 'string')
        this.entries.set(`${this.model}:${index}:${value}`, { payload: { id }, expiresAt });
    }
  }

  async find(id: string): Promise<Record<string, unknown> | undefined> {
    return this.#read(this.#key(id));
  }

  async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    const id = this.#read(`${this.model}:uid:${uid}`)?.['id'];
    return typeof id === 'string' ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
    const id = this.#read(`${this.model}:userCode:${userCode}`)?.['id'];
    return typeof id === 'string' ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    const payload = this.#read(this.#key(id));
    if (payload !== undefined) payload['consumed'] = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.entries.delete(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [key, entry] of this.entries)
      if (entry.payload['grantId'] === grantId) this.entries.delete(key);
  }
}
