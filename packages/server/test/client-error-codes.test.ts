import { SERVER_ERROR_CODES, type ServerErrorCode } from '@revocable/client';
import { HTTP_STATUS, type RevocableErrorCode } from '@revocable/core';
import { SERVICE_ERROR_CODES, type ServiceErrorCode } from '@revocable/server';
import { describe, expect, expectTypeOf, it } from 'vitest';

describe("the browser SDK's copy of the service's error codes", () => {
  it('holds exactly the codes the service answers with: its own and the core token codes', () => {
    const service = new Set<string>([...SERVICE_ERROR_CODES, ...Object.keys(HTTP_STATUS)]);
    expect([...SERVER_ERROR_CODES].sort()).toEqual([...service].sort());
  });

  it('types serverCode with the same union (checked by the test typecheck)', () => {
    expectTypeOf<ServerErrorCode>().toEqualTypeOf<ServiceErrorCode | RevocableErrorCode>();
  });
});
