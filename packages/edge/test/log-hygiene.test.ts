// The edge's request log: method and path, never a query string (RFC 6750 allows ?access_token=) nor
// a header, so no token reaches a log line.
import { Writable } from 'node:stream';
import { RevocableError } from '@revocable/core';
import { createEdgeApp } from '@revocable/edge';
import { describe, expect, it } from 'vitest';

const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJsb2cifQ.c2lnbmF0dXJlLW11c3Qtbm90LWJlLWxvZ2dlZA';

describe('the request log', () => {
  it('holds the path but neither the query string nor the Authorization header', async () => {
    let written = '';
    const stream = new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        done();
      },
    });
    const app = await createEdgeApp({
      verifier: {
        verify: async () => {
          throw new RevocableError('ERR_SIGNATURE_INVALID', 'The signature does not verify.');
        },
      },
      logger: { level: 'info', stream },
    });
    const answer = await app.inject({
      method: 'GET',
      url: `/_revocable/auth/orders/1?access_token=${TOKEN}`,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await app.close();
    expect(answer.statusCode).toBe(401);
    expect(written).toContain('/_revocable/auth/orders/1');
    expect(written).not.toContain(TOKEN);
    expect(written).not.toContain('access_token');
  });
});
