// A Shared Signals push stream's authorization_header is the receiver's credential: with a
// key-encryption key it is stored sealed (AES-256-GCM, bound to its stream), as signing keys are.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REVOCATION_POLICY, KeyEncryption, type StreamRecord } from '@revocable/core';
import { openStorage } from '@revocable/server/internal';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const KEK = Buffer.alloc(32, 7).toString('base64');
const SECRET = 'Bearer receiver-secret-that-must-not-be-stored-plain';
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function stream(streamId: string): StreamRecord {
  const now = Date.now();
  return {
    streamId,
    owner: 'api',
    method: 'urn:ietf:rfc:8935',
    endpointUrl: 'https://receiver.example/ssf',
    authorizationHeader: SECRET,
    eventsRequested: [],
    description: null,
    status: 'enabled',
    reason: null,
    startSeq: 0,
    createdAt: now,
    updatedAt: now,
  };
}

describe('a push stream credential at rest', () => {
  it('is sealed in the database, plain to the service, and does not open for another stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'revocable-ssf-seal-'));
    dirs.push(dir);
    const file = join(dir, 'revocable.db');
    const keyEncryption = KeyEncryption.fromEnvironment({ REVOCABLE_KEY_ENCRYPTION_KEY: KEK })!;
    const storage = await openStorage(file, DEFAULT_REVOCATION_POLICY, { keyEncryption });
    try {
      expect(await storage.streams.createStream(stream('s1'), 10)).toBe('created');
      expect(await storage.streams.createStream(stream('s2'), 10)).toBe('created');
      expect((await storage.streams.getStream('s1'))?.authorizationHeader).toBe(SECRET);
      expect((await storage.streams.listStreams('api')).map((s) => s.authorizationHeader)).toEqual([
        SECRET,
        SECRET,
      ]);
      const raw = new Database(file, { readonly: true });
      const rows = raw.prepare('select stream_id, authorization_header from ssf_streams').all() as {
        stream_id: string;
        authorization_header: string;
      }[];
      raw.close();
      expect(readFileSync(file).includes(Buffer.from('receiver-secret'))).toBe(false);
      for (const row of rows) expect(row.authorization_header).not.toContain('receiver-secret');
      // The envelope of s1 copied onto s2 does not open there.
      const writable = new Database(file);
      writable
        .prepare('update ssf_streams set authorization_header = ? where stream_id = ?')
        .run(rows.find((r) => r.stream_id === 's1')!.authorization_header, 's2');
      writable.close();
      await expect(storage.streams.getStream('s2')).rejects.toMatchObject({ code: 'ERR_KEY_DECRYPT' });
      // One such row does not stop the others: the list leaves it out.
      expect((await storage.streams.listStreams('api')).map((s) => s.streamId)).toEqual(['s1']);
    } finally {
      await storage.close();
    }
  });

  it('is stored as given without a key-encryption key, and read back once one is set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'revocable-ssf-seal-'));
    dirs.push(dir);
    const file = join(dir, 'revocable.db');
    const plain = await openStorage(file, DEFAULT_REVOCATION_POLICY);
    await plain.streams.createStream(stream('old'), 10);
    await plain.close();
    const keyEncryption = KeyEncryption.fromEnvironment({ REVOCABLE_KEY_ENCRYPTION_KEY: KEK })!;
    const sealed = await openStorage(file, DEFAULT_REVOCATION_POLICY, { keyEncryption });
    try {
      expect((await sealed.streams.getStream('old'))?.authorizationHeader).toBe(SECRET);
    } finally {
      await sealed.close();
    }
  });
});
