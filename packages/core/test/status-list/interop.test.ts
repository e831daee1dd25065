// Interop with @sd-jwt/jwt-status-list (OpenWallet Foundation), an implementation that shares no code
// with ours (pako for zlib, its own bit packing): it must read the lists we write, and we must read
// the lists it writes, for 1, 2, 4 and 8 bits, as lst strings and as Status List Tokens.

import {
  KeyRing,
  RemoteJwks,
  STATUS_BITS,
  type StatusBits,
  StatusList,
  StatusListCheck,
  signStatusListToken,
  TOKEN_STATUS,
  Verifier,
} from '@revocable/core';
import {
  createHeaderAndPayload,
  getListFromStatusListJWT,
  type BitsPerStatus as TheirBits,
  StatusList as TheirList,
} from '@sd-jwt/jwt-status-list';
import fc from 'fast-check';
import { type JWTPayload, SignJWT } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendJson } from '../external/support/json-server.js';
import { type IssuerKey, issuerKey, jwks } from '../external/support/keys.js';
import { DRAFT_VECTOR_SIZE, DRAFT_VECTORS } from './draft-vectors.js';
import { type ListServer, MEDIA_TYPE, startListServer } from './support.js';

/** Random writes into a list of `size` entries: [index, status] pairs that fit `bits`. */
const writesOf = (bits: StatusBits) =>
  fc
    .integer({ min: 1, max: 4000 })
    .chain((size) =>
      fc.tuple(
        fc.constant(size),
        fc.array(fc.tuple(fc.nat(size - 1), fc.nat(2 ** bits - 1)), { maxLength: 200 }),
      ),
    );

/** The size both sides agree on: whole bytes (theirs packs any count, ours rounds up to bytes). */
const wholeBytes = (size: number, bits: StatusBits) => Math.ceil((size * bits) / 8) * (8 / bits);

describe('@sd-jwt/jwt-status-list reads the lists we write', () => {
  for (const bits of STATUS_BITS) {
    it(`${bits} bit${bits > 1 ? 's' : ''}: it decodes our lst and reads the same status at every index`, () => {
      fc.assert(
        fc.property(writesOf(bits), ([size, writes]) => {
          const ours = new StatusList(size, bits);
          for (const [index, status] of writes) ours.set(index, status);
          const theirs = TheirList.decompressStatusList(ours.encode(), bits as TheirBits);
          expect(theirs.statusList.length).toBe(ours.size);
          for (let i = 0; i < ours.size; i++) expect(theirs.getStatus(i)).toBe(ours.get(i));
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe('we read the lists @sd-jwt/jwt-status-list writes', () => {
  for (const bits of STATUS_BITS) {
    it(`${bits} bit${bits > 1 ? 's' : ''}: we decode its lst and read the same status at every index`, () => {
      fc.assert(
        fc.property(writesOf(bits), ([size, writes]) => {
          const statuses = new Array<number>(wholeBytes(size, bits)).fill(0);
          for (const [index, status] of writes) statuses[index] = status;
          const theirs = new TheirList(statuses, bits as TheirBits);
          const ours = StatusList.decode(theirs.compressStatusList(), bits);
          expect(ours.size).toBe(statuses.length);
          for (let i = 0; i < statuses.length; i++) expect(ours.get(i)).toBe(statuses[i]);
        }),
        { numRuns: 60 },
      );
    });
  }

  it("both read the draft's appendix vectors the same way", () => {
    for (const vector of DRAFT_VECTORS) {
      const theirs = TheirList.decompressStatusList(vector.lst, vector.bits);
      const ours = StatusList.decode(vector.lst, vector.bits);
      expect(theirs.statusList.length).toBe(DRAFT_VECTOR_SIZE);
      for (const [index, status] of vector.entries) {
        expect(theirs.getStatus(index)).toBe(status);
        expect(ours.get(index)).toBe(status);
      }
    }
  });
});

describe('Status List Tokens across the two implementations', () => {
  let key: IssuerKey;
  let server: ListServer;
  beforeAll(async () => {
    key = await issuerKey('their-key', 'ES256');
  });
  beforeEach(async () => {
    server = await startListServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('it reads the list out of a Status List Token we signed', async () => {
    const ring = await KeyRing.open({ alg: 'ES256' });
    const list = new StatusList(64, 2);
    list.set(9, TOKEN_STATUS.SUSPENDED);
    const { token } = signStatusListToken(ring, { uri: 'https://auth.example/statuslists/1', list });
    const theirs = getListFromStatusListJWT(token);
    expect(theirs.getBitsPerStatus()).toBe(2);
    expect(theirs.getStatus(9)).toBe(TOKEN_STATUS.SUSPENDED);
    expect(theirs.getStatus(8)).toBe(TOKEN_STATUS.VALID);
  });

  it('our StatusListCheck decides tokens on a list it built (signed with jose, keys from a JWKS)', async () => {
    const statuses = new Array<number>(1024).fill(0);
    statuses[3] = TOKEN_STATUS.INVALID;
    const iat = Math.floor(Date.now() / 1000);
    const { header, payload } = createHeaderAndPayload(
      new TheirList(statuses, 1),
      { sub: server.uri, iat, exp: iat + 3600, ttl: 300 } as JWTPayload,
      { alg: 'ES256', typ: 'statuslist+jwt', kid: key.kid },
    );
    const token = await new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
    const published = { list: token, keys: jwks(key) };
    server.handle = (req, res) => {
      server.requests.push(req.headers);
      if (req.url === '/jwks') return sendJson(res, published.keys);
      res.writeHead(200, { 'content-type': MEDIA_TYPE });
      res.end(published.list);
    };

    const keys = new RemoteJwks({ url: `${server.origin}/jwks`, allowInsecureLocalhost: true });
    await keys.load();
    const revocation = new StatusListCheck({ keys, allowInsecureLocalhost: true });
    const verifier = new Verifier({ keys, issuer: 'https://their.example', audience: 'api', revocation });
    const accessToken = (idx: number) =>
      new SignJWT({ status: { status_list: { idx, uri: server.uri } }, jti: `t-${idx}` })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
        .setIssuer('https://their.example')
        .setAudience('api')
        .setSubject('alice')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key.privateKey);

    const control = new Verifier({
      keys,
      issuer: 'https://their.example',
      audience: 'api',
      revocation: 'none',
    });
    expect((await control.verify(await accessToken(3))).claims.sub).toBe('alice'); // so the refusal below is the list's
    expect((await verifier.verify(await accessToken(2))).claims.sub).toBe('alice');
    await expect(verifier.verify(await accessToken(3))).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
      rule: 'token',
    });
    expect(revocation.fetches).toBe(1);
  });
});
