import {
  AccessTokenIssuer,
  type Algorithm,
  isRevocableError,
  KeyRing,
  type RevocableErrorCode,
  StatusList,
  signStatusListToken,
  TOKEN_STATUS,
  verifyStatusListToken,
} from '@revocable/core';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { forgeSigned } from '../support/forge.js';

const URI = 'https://auth.example/statuslists/1';
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const NOW = T0 / 1000;

let ring: KeyRing;
let other: KeyRing;
beforeAll(async () => {
  [ring, other] = await Promise.all([KeyRing.open({ alg: 'ES256' }), KeyRing.open({ alg: 'ES256' })]);
});

function revokedList(): StatusList {
  const list = new StatusList(1024, 2);
  list.set(7, TOKEN_STATUS.INVALID);
  list.set(8, TOKEN_STATUS.SUSPENDED);
  return list;
}

async function codeOf(promise: Promise<unknown>): Promise<RevocableErrorCode | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    if (!isRevocableError(err)) throw err;
    return err.code;
  }
}

/** A token signed by the ring's key with any header and claims. */
function forged(header: Record<string, unknown>, claims: Record<string, unknown>, keys = ring): string {
  const key = keys.signingKey();
  return forgeSigned(key, { alg: key.alg, kid: key.kid, typ: 'statuslist+jwt', ...header }, claims);
}

function goodClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: URI,
    iat: NOW,
    exp: NOW + 3600,
    ttl: 60,
    status_list: { bits: 1, lst: 'eNrbuRgAAhcBXQ' },
    ...extra,
  };
}

describe('signing (draft §5.1)', () => {
  it('writes typ statuslist+jwt, the ring kid, sub = the URI, iat, exp, ttl and status_list', async () => {
    const { token, claims } = signStatusListToken(
      ring,
      { uri: URI, list: revokedList(), ttlSec: 30 },
      T0 + 400,
    );
    const key = ring.signingKey();
    expect(decodeProtectedHeader(token)).toEqual({ alg: key.alg, typ: 'statuslist+jwt', kid: key.kid });
    expect(claims).toMatchObject({ sub: URI, iat: NOW, exp: NOW + 3600, ttl: 30 });
    expect(claims.status_list.bits).toBe(2);
    expect(StatusList.decode(claims.status_list.lst, 2).get(8)).toBe(TOKEN_STATUS.SUSPENDED);
    expect(Object.keys(claims)).not.toContain('iss');
  });

  it('verifies with jose, an independent implementation, given the public key', async () => {
    const { token } = signStatusListToken(
      ring,
      { uri: URI, list: revokedList(), issuer: 'https://auth.example' },
      T0,
    );
    const jwk = (await ring.jwks()).keys.find((k) => k.kid === ring.signingKey().kid)!;
    const { payload, protectedHeader } = await jwtVerify(token, await importJWK(jwk, jwk.alg as string), {
      typ: 'statuslist+jwt',
      currentDate: new Date(T0),
      subject: URI,
      issuer: 'https://auth.example',
    });
    expect(protectedHeader.typ).toBe('statuslist+jwt');
    expect(payload['status_list']).toMatchObject({ bits: 2 });
  });

  it('adds aggregation_uri inside status_list when asked', () => {
    const aggregation = 'https://auth.example/statuslists';
    const { claims } = signStatusListToken(ring, {
      uri: URI,
      list: revokedList(),
      aggregationUri: aggregation,
    });
    expect(claims.status_list.aggregation_uri).toBe(aggregation);
  });

  it('refuses a relative URI, a lifetime or ttl out of range, and a list that is not a StatusList', () => {
    const list = revokedList();
    const bad = [
      { uri: '/statuslists/1', list },
      { uri: URI, list, lifetimeSec: 0 },
      { uri: URI, list, lifetimeSec: 1.5 },
      { uri: URI, list, lifetimeSec: 32 * 86_400 },
      { uri: URI, list, lifetimeSec: 60, ttlSec: 61 },
      { uri: URI, list: { bits: 1, lst: 'x' } as unknown as StatusList },
      { uri: URI, list, aggregationUri: 'statuslists' },
    ];
    for (const request of bad) {
      expect(() => signStatusListToken(ring, request)).toThrowError(
        expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
      );
    }
  });
});

describe('verifying (draft §8.3): control cases first', () => {
  it('control: a token from the ring verifies, with its list', async () => {
    for (const alg of ['EdDSA', 'ES256', 'RS256', 'HS256'] as Algorithm[]) {
      const keys = alg === 'ES256' ? ring : await KeyRing.open({ alg });
      const { token } = signStatusListToken(keys, { uri: URI, list: revokedList() }, T0);
      const { list, claims, header } = await verifyStatusListToken(token, { keys, uri: URI }, T0 + 1000);
      expect(header.typ).toBe('statuslist+jwt');
      expect(claims.sub).toBe(URI);
      expect([list.get(6), list.get(7), list.get(8)]).toEqual([0, 1, 2]);
    }
  });

  it('control: a forged-by-hand token with good claims verifies (so the refusals below are the claims)', async () => {
    expect(await codeOf(verifyStatusListToken(forged({}, goodClaims()), { keys: ring, uri: URI }, T0))).toBe(
      'resolved',
    );
  });

  it('refuses a sub other than the URI it was fetched from', async () => {
    const { token } = signStatusListToken(ring, { uri: URI, list: revokedList() }, T0);
    expect(await codeOf(verifyStatusListToken(token, { keys: ring, uri: `${URI}0` }, T0))).toBe(
      'ERR_CLAIM_INVALID',
    );
    expect(
      await codeOf(
        verifyStatusListToken(forged({}, goodClaims({ sub: undefined })), { keys: ring, uri: URI }, T0),
      ),
    ).toBe('ERR_CLAIM_INVALID');
  });

  it('refuses an access token of the same ring presented as a list (typ at+jwt), and a missing typ', async () => {
    const issuer = new AccessTokenIssuer({ keys: ring, issuer: 'https://auth.example', audience: 'api' });
    const { token } = issuer.issue({ sub: URI, claims: { status_list: { bits: 1, lst: 'eNrbuRgAAhcBXQ' } } });
    expect(await codeOf(verifyStatusListToken(token, { keys: ring, uri: URI }))).toBe('ERR_TYP_INVALID');
    expect(
      await codeOf(
        verifyStatusListToken(forged({ typ: undefined }, goodClaims()), { keys: ring, uri: URI }, T0),
      ),
    ).toBe('ERR_TYP_INVALID');
  });

  it('refuses another key, a changed signature, a changed payload, and alg none', async () => {
    const { token } = signStatusListToken(other, { uri: URI, list: revokedList() }, T0);
    expect(await codeOf(verifyStatusListToken(token, { keys: ring, uri: URI }, T0))).toBe('ERR_KEY_UNKNOWN');
    const mine = signStatusListToken(ring, { uri: URI, list: revokedList() }, T0).token;
    const [h, p, s] = mine.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.startsWith('A') ? `B${s.slice(1)}` : `A${s.slice(1)}`}`;
    expect(await codeOf(verifyStatusListToken(flipped, { keys: ring, uri: URI }, T0))).toBe(
      'ERR_SIGNATURE_INVALID',
    );
    const otherPayload = Buffer.from(JSON.stringify(goodClaims())).toString('base64url');
    expect(
      await codeOf(verifyStatusListToken(`${h}.${otherPayload}.${s}`, { keys: ring, uri: URI }, T0)),
    ).toBe('ERR_SIGNATURE_INVALID');
    expect(
      await codeOf(
        verifyStatusListToken(forged({ alg: 'none' }, goodClaims()), { keys: ring, uri: URI }, T0),
      ),
    ).toBe('ERR_ALG_NOT_ALLOWED');
  });

  it('refuses an expired list (exp == now included), one issued in the future, and one without iat', async () => {
    const policy = { keys: ring, uri: URI, clockToleranceSec: 0 };
    expect(await codeOf(verifyStatusListToken(forged({}, goodClaims({ exp: NOW })), policy, T0))).toBe(
      'ERR_TOKEN_EXPIRED',
    );
    expect(await codeOf(verifyStatusListToken(forged({}, goodClaims({ iat: NOW + 1 })), policy, T0))).toBe(
      'ERR_TOKEN_NOT_YET_VALID',
    );
    expect(await codeOf(verifyStatusListToken(forged({}, goodClaims({ nbf: NOW + 1 })), policy, T0))).toBe(
      'ERR_TOKEN_NOT_YET_VALID',
    );
    expect(await codeOf(verifyStatusListToken(forged({}, goodClaims({ iat: undefined })), policy, T0))).toBe(
      'ERR_CLAIM_INVALID',
    );
    expect(await codeOf(verifyStatusListToken(forged({}, goodClaims({ exp: undefined })), policy, T0))).toBe(
      'resolved',
    );
  });

  it('refuses a ttl that is not a positive number', async () => {
    for (const ttl of [0, -1, '60', null]) {
      expect(
        await codeOf(verifyStatusListToken(forged({}, goodClaims({ ttl })), { keys: ring, uri: URI }, T0)),
      ).toBe('ERR_CLAIM_INVALID');
    }
  });

  it('requires iss only when the policy names an issuer', async () => {
    const token = forged({}, goodClaims({ iss: 'https://auth.example' }));
    expect(
      await codeOf(
        verifyStatusListToken(token, { keys: ring, uri: URI, issuer: 'https://auth.example' }, T0),
      ),
    ).toBe('resolved');
    expect(
      await codeOf(
        verifyStatusListToken(token, { keys: ring, uri: URI, issuer: 'https://other.example' }, T0),
      ),
    ).toBe('ERR_CLAIM_INVALID');
    expect(
      await codeOf(
        verifyStatusListToken(
          forged({}, goodClaims()),
          { keys: ring, uri: URI, issuer: 'https://auth.example' },
          T0,
        ),
      ),
    ).toBe('ERR_CLAIM_INVALID');
  });

  it('refuses a status_list that is missing, has bad bits, a bad lst or a bad aggregation_uri', async () => {
    const lists = [
      undefined,
      'eNrbuRgAAhcBXQ',
      { bits: 3, lst: 'eNrbuRgAAhcBXQ' },
      { bits: 1 },
      { bits: 1, lst: 'eNrbuRgAAhcBXQ==' },
      { bits: 1, lst: 'eNrbuRgAAhcBXQ', aggregation_uri: 'not a uri' },
    ];
    for (const status_list of lists) {
      expect(
        await codeOf(
          verifyStatusListToken(forged({}, goodClaims({ status_list })), { keys: ring, uri: URI }, T0),
        ),
      ).toBe('ERR_STATUS_LIST_INVALID');
    }
  });

  it('refuses a list that inflates past maxListBytes', async () => {
    const { token } = signStatusListToken(ring, { uri: URI, list: new StatusList(8 * 4096, 1) }, T0);
    expect(await codeOf(verifyStatusListToken(token, { keys: ring, uri: URI, maxListBytes: 4096 }, T0))).toBe(
      'resolved',
    );
    expect(await codeOf(verifyStatusListToken(token, { keys: ring, uri: URI, maxListBytes: 4095 }, T0))).toBe(
      'ERR_STATUS_LIST_INVALID',
    );
  });
});
