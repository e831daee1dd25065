import type { KeyObject } from 'node:crypto';
import type { Algorithm } from './algorithms.js';

/**
 * A key the verifier may check signatures with: its `kid`, the one algorithm it is pinned to, and a
 * cached node:crypto `KeyObject` (public key, or the secret for HS256).
 */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: Algorithm;
  readonly keyObject: KeyObject;
  readonly signatureLength: number;
  /**
   * Epoch milliseconds after which the key no longer verifies (a retired key's last token expiry).
   * `Infinity` while the key is current.
   */
  readonly verifyUntil: number;
  /** Set once the key leaves its ring: cached verifications made with it die with it. */
  readonly removed: boolean;
}

/**
 * Where a verifier finds keys by `kid`. The lookup is synchronous and never touches the network;
 * `refresh` (remote JWKS only) may fetch, and must apply its own cool-down so that a flood of unknown
 * `kid`s cannot turn into a flood of fetches.
 */
export interface KeyResolver {
  /** The key for `kid`, or `undefined` when none is known. Never throws. */
  get(kid: string): VerificationKey | undefined;
  /**
   * Asks the source for fresh keys because `kid` was not found. Resolves `true` when a fetch happened
   * and the key set may have changed, `false` when the cool-down suppressed it.
   */
  refresh?(kid: string): Promise<boolean>;
}
