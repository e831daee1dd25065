import { RevocableError } from '../errors.js';
import type { RevocationCheck } from '../revocation/check.js';
import type { VerifiedToken } from '../verify/verifier.js';
import type { TrustedIssuerConfig } from './issuer-config.js';
import type { IssuerRoute } from './multi-issuer-verifier.js';
import { type TrustedIssuer, trustIssuer } from './trusted-issuer.js';

/** Options of {@link ConfiguredIssuers.open}. */
export interface ConfiguredIssuersOptions {
  /** Required: the revocation check of every issuer's tokens (a Replica whose policy lists each issuer). */
  readonly revocation: RevocationCheck;
  /** Least time between two discovery attempts of an issuer that could not be reached, ms. Default 30,000. */
  readonly retryAfterMs?: number;
  readonly fetch?: typeof globalThis.fetch;
  readonly clock?: () => number;
}

/** What an operator sees of one configured issuer (the service's `/admin/issuers`). */
export interface IssuerStatus {
  readonly id: string;
  readonly issuer: string;
  readonly profile: string;
  readonly audience: readonly string[];
  readonly maxTokenLifetimeSec: number;
  /** `ready`: keys held; `unavailable`: discovery or the key set could not be read (its tokens get 503). */
  readonly state: 'ready' | 'unavailable';
  /** The `kid`s in use. */
  readonly kids: readonly string[];
  /** Epoch ms of the last successful key-set fetch, `undefined` before the first. */
  readonly keysFetchedAt: number | undefined;
  /** The JWKS URL in use (from configuration or discovery), once known. */
  readonly jwksUri: string | undefined;
  /** Why the last attempt failed (no secrets: a code and a message naming the URL's origin). */
  readonly lastError: { readonly code: string; readonly message: string } | undefined;
  readonly backchannelLogout: boolean;
}

/** One configured issuer: its configuration and, once discovery succeeded, its {@link TrustedIssuer}. */
class ConfiguredIssuer implements IssuerRoute {
  readonly issuer: string;
  #trusted: TrustedIssuer | undefined;
  #opening: Promise<TrustedIssuer> | undefined;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #lastError: RevocableError | undefined;

  constructor(
    readonly config: TrustedIssuerConfig,
    private readonly options: ConfiguredIssuersOptions,
  ) {
    this.issuer = config.issuer;
  }

  get trusted(): TrustedIssuer | undefined {
    return this.#trusted;
  }

  /** Discovery and the first key fetch; shared by concurrent callers, at most once per retry interval. */
  open(): Promise<TrustedIssuer> {
    if (this.#trusted !== undefined) return Promise.resolve(this.#trusted);
    if (this.#opening !== undefined) return this.#opening;
    const clock = this.options.clock ?? Date.now;
    if (clock() - this.#attemptedAt < (this.options.retryAfterMs ?? 30_000) && this.#lastError) {
      return Promise.reject(this.#lastError);
    }
    this.#attemptedAt = clock();
    const { config } = this;
    this.#opening = trustIssuer({
      issuer: config.issuer,
      audience: config.audience,
      profile: config.profile,
      ...(config.types === undefined ? {} : { types: config.types }),
      ...(config.discoveryUrl === undefined ? {} : { discoveryUrl: config.discoveryUrl }),
      ...(config.jwksUri === undefined ? {} : { jwksUri: config.jwksUri }),
      ...(config.metadataKind === undefined ? {} : { metadataKind: config.metadataKind }),
      ...(config.keys === undefined ? {} : { jwks: config.keys }),
      revocation: this.options.revocation,
      allowInsecureLocalhost: config.allowInsecureLocalhost,
      ...(this.options.fetch === undefined ? {} : { fetch: this.options.fetch }),
      ...(this.options.clock === undefined ? {} : { clock: this.options.clock }),
    })
      .then((trusted) => {
        this.#trusted = trusted;
        this.#lastError = undefined;
        return trusted;
      })
      .catch((err: unknown) => {
        this.#lastError =
          err instanceof RevocableError
            ? err
            : new RevocableError(
                'ERR_JWKS_UNAVAILABLE',
                `Issuer ${config.id} could not be reached.`,
                undefined,
                {
                  cause: err,
                },
              );
        throw this.#lastError;
      })
      .finally(() => {
        this.#opening = undefined;
      });
    return this.#opening;
  }

  async verify(token: string): Promise<VerifiedToken> {
    return (this.#trusted ?? (await this.#reopen())).verify(token);
  }

  verifySync(token: string): VerifiedToken {
    if (this.#trusted === undefined) {
      this.#reopen().catch(() => {});
      throw this.#unavailable();
    }
    return this.#trusted.verifySync(token);
  }

  /** A later attempt at an issuer that was unreachable: any failure is "unavailable" to the caller. */
  async #reopen(): Promise<TrustedIssuer> {
    try {
      return await this.open();
    } catch {
      throw this.#unavailable();
    }
  }

  #unavailable(): RevocableError {
    return new RevocableError(
      'ERR_JWKS_UNAVAILABLE',
      `The keys of trusted issuer "${this.config.id}" could not be loaded; its tokens cannot be verified now.`,
    );
  }

  status(): IssuerStatus {
    const keys = this.#trusted?.keys;
    const fetchedAt = keys?.fetchedAt;
    const error = keys?.lastError ?? this.#lastError;
    return {
      id: this.config.id,
      issuer: this.config.issuer,
      profile: this.config.profile,
      audience: this.config.audience,
      maxTokenLifetimeSec: this.config.maxTokenLifetimeSec,
      state: keys !== undefined && keys.kids.length > 0 ? 'ready' : 'unavailable',
      kids: keys?.kids ?? [],
      keysFetchedAt: fetchedAt !== undefined && Number.isFinite(fetchedAt) ? fetchedAt : undefined,
      jwksUri: keys?.url.href ?? this.config.jwksUri,
      lastError: error === undefined ? undefined : { code: error.code, message: error.message },
      backchannelLogout: this.config.backchannelLogout !== undefined,
    };
  }
}

/**
 * The external issuers a configuration file lists, each verified by its own {@link TrustedIssuer}
 * (keys from its JWKS, its audience, `typ` profile and lifetime bound) against one revocation check.
 * A configuration mistake (discovery naming another issuer, a non-https JWKS) fails `open` with
 * `ERR_CONFIG_INVALID` naming the entry; an issuer that cannot be reached at startup does not stop the
 * others: its tokens fail with `ERR_JWKS_UNAVAILABLE` (503) while discovery is retried at most every
 * `retryAfterMs`.
 *
 * @example
 * ```ts
 * const issuers = await ConfiguredIssuers.open(parseTrustedIssuers(file.trustedIssuers), { revocation: replica });
 * const verifier = new MultiIssuerVerifier([...issuers.routes, { issuer: ownIss, verifier: own }]);
 * ```
 */
export class ConfiguredIssuers {
  readonly #byId = new Map<string, ConfiguredIssuer>();
  readonly #byIssuer = new Map<string, ConfiguredIssuer>();

  private constructor(entries: readonly ConfiguredIssuer[]) {
    for (const entry of entries) {
      this.#byId.set(entry.config.id, entry);
      this.#byIssuer.set(entry.issuer, entry);
    }
  }

  /**
   * Opens every issuer (in parallel). Throws `ERR_CONFIG_INVALID` naming `trustedIssuers[i]` for a
   * configuration an issuer's own documents contradict; an unreachable issuer is kept for retries.
   *
   * @example
   * ```ts
   * const issuers = await ConfiguredIssuers.open(configs, { revocation: replica });
   * ```
   */
  static async open(
    configs: readonly TrustedIssuerConfig[],
    options: ConfiguredIssuersOptions,
  ): Promise<ConfiguredIssuers> {
    if (typeof options?.revocation?.check !== 'function') {
      throw new RevocableError(
        'ERR_CONFIG_INVALID',
        'revocation is required: a Replica or any RevocationCheck.',
      );
    }
    const entries = configs.map((config) => new ConfiguredIssuer(config, options));
    await Promise.all(
      entries.map((entry, index) =>
        entry.open().catch((err: unknown) => {
          if (err instanceof RevocableError && err.code === 'ERR_CONFIG_INVALID') {
            throw new RevocableError(
              'ERR_CONFIG_INVALID',
              `Invalid configuration: trustedIssuers[${index}] (${entry.config.id}): ${err.message}`,
              undefined,
              { cause: err },
            );
          }
          // Unreachable now: kept, and retried when one of its tokens arrives.
        }),
      ),
    );
    return new ConfiguredIssuers(entries);
  }

  /** The routes of a {@link MultiIssuerVerifier}, one per issuer. */
  get routes(): IssuerRoute[] {
    return [...this.#byId.values()];
  }

  /** The configured issuers' configurations, in file order. */
  get configs(): TrustedIssuerConfig[] {
    return [...this.#byId.values()].map((entry) => entry.config);
  }

  /** The configuration with this `id`, or `undefined`. */
  configById(id: string): TrustedIssuerConfig | undefined {
    return this.#byId.get(id)?.config;
  }

  /** The configuration whose `iss` this is, or `undefined`. */
  configByIssuer(iss: string): TrustedIssuerConfig | undefined {
    return this.#byIssuer.get(iss)?.config;
  }

  /**
   * The {@link TrustedIssuer} of `id`, opening it when it was unreachable so far; rejects with
   * `ERR_JWKS_UNAVAILABLE` while it still is.
   */
  async trusted(id: string): Promise<TrustedIssuer | undefined> {
    const entry = this.#byId.get(id);
    if (entry === undefined) return undefined;
    return entry.trusted ?? (await entry.open());
  }

  /** What an operator sees of each issuer. */
  status(): IssuerStatus[] {
    return [...this.#byId.values()].map((entry) => entry.status());
  }
}
