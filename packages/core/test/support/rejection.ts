import { inspect } from 'node:util';
import { RevocableError, type RevocableErrorCode, type RuleKind } from '@revocable/core';
import { expect } from 'vitest';

/** What a rejection must look like. */
export interface ExpectedRejection {
  readonly code: RevocableErrorCode;
  /** For claim errors: the claim named on the error. Left unchecked when absent. */
  readonly claim?: string;
  /** For revocations: the rule named on the error. Left unchecked when absent. */
  readonly rule?: RuleKind;
}

/** Anything with a synchronous verify. */
export interface SyncVerifier {
  verifySync(token: string): unknown;
}

/**
 * The error `verify` throws. Fails the test when it returns, or throws anything but a `RevocableError`.
 */
export function rejectionOf(verify: () => unknown): RevocableError {
  let returned: unknown;
  try {
    returned = verify();
  } catch (err) {
    if (err instanceof RevocableError) return err;
    throw new Error(`expected a RevocableError, got ${inspect(err)}`, { cause: err });
  }
  throw new Error(`expected a rejection, but the token was accepted: ${inspect(returned, { depth: 3 })}`);
}

/** Segments of at least 4 characters: shorter ones could appear in any English sentence. */
// Parts shorter than this are not secrets, and would match words of the stack trace ("fine" in
// "define"): a fuzzed 4-character segment once failed the check that way.
const MIN_LEAK_LENGTH = 12;

function leakableParts(token: string): string[] {
  return [token, ...token.split('.')].filter((part) => part.length >= MIN_LEAK_LENGTH);
}

/**
 * Asserts that nothing printable about `err` (message, stack, own properties, cause) holds the token or
 * one of its segments.
 */
export function expectNoTokenText(err: Error, token: unknown): void {
  if (typeof token !== 'string') return;
  const printed = `${err.message}\n${err.stack ?? ''}\n${inspect(err, { depth: 5 })}`;
  for (const part of leakableParts(token)) {
    expect(printed.includes(part), `error text contains token text ${part.slice(0, 24)}…`).toBe(false);
  }
}

/**
 * Asserts that `verifier` rejects `token` with exactly `expected` (code, and claim/rule when given), and
 * that the error does not carry the token text.
 */
export function expectRejected(
  verifier: SyncVerifier,
  token: string,
  expected: ExpectedRejection,
): RevocableError {
  const err = rejectionOf(() => verifier.verifySync(token));
  expect({ code: err.code, claim: err.claim, rule: err.rule }).toEqual({
    code: expected.code,
    claim: 'claim' in expected ? expected.claim : err.claim,
    rule: 'rule' in expected ? expected.rule : err.rule,
  });
  expectNoTokenText(err, token);
  return err;
}
