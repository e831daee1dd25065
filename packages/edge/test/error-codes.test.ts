// The edge's own codes are ones the SDK knows, with the status the edge answers them with.
import { SERVER_ERROR_CODES } from '@revocable/client';
import { EDGE_STATUS, EdgeError, type EdgeErrorCode } from '@revocable/edge';
import { ServiceError } from '@revocable/server';
import { describe, expect, it } from 'vitest';

describe("the edge's error codes", () => {
  const codes = Object.keys(EDGE_STATUS) as EdgeErrorCode[];

  it("are all in the SDK's list of codes", () => {
    const known = new Set<string>(SERVER_ERROR_CODES);
    expect(codes.filter((code) => !known.has(code))).toEqual([]);
  });

  it('answer with the same status as the service gives the same code', () => {
    for (const code of codes) {
      expect(new EdgeError(code, 'x').status, code).toBe(new ServiceError(code, 'x').status);
    }
  });
});
