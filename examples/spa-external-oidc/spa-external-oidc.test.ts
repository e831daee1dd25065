import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Example, startExample } from './run.js';

let example: Example;
beforeAll(async () => {
  example = await startExample();
});
afterAll(() => example?.close());

async function me(
  token: string,
): Promise<{ status: number; body: Record<string, unknown>; challenge: string | null }> {
  const response = await fetch(`${example.apiUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    challenge: response.headers.get('www-authenticate'),
  };
}

describe('a SPA and an API trusting an external OIDC provider (Azure AD stand-in)', () => {
  it("accepts the provider's access token after the SPA's PKCE login", async () => {
    example.provider.account = 'alice';
    const spa = example.spa();
    await spa.login();
    expect(await me(spa.accessToken)).toMatchObject({
      status: 200,
      body: { sub: 'alice', scope: 'orders.read' },
    });
  });

  it('refuses a request without a token', async () => {
    const response = await fetch(`${example.apiUrl}/api/me`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it("rejects the token after the app's logout, copies included, and only that token", async () => {
    example.provider.account = 'alice';
    const spa = example.spa();
    await spa.login();
    const other = example.spa();
    await other.login();
    const copy = spa.accessToken;
    expect((await spa.callApi(example.apiUrl, '/api/logout', 'POST')).status).toBe(204);
    const after = await me(copy);
    expect(after).toMatchObject({ status: 401, body: { error: 'ERR_TOKEN_REVOKED' } });
    expect(after.challenge).toMatch(/error="invalid_token"/);
    expect((await me(other.accessToken)).status).toBe(200);
  });

  it("rejects the user's tokens after the provider's back-channel logout", async () => {
    example.provider.account = 'bob';
    const spa = example.spa();
    await spa.login();
    example.provider.account = 'carol';
    const carol = example.spa();
    await carol.login();
    expect((await me(spa.accessToken)).status).toBe(200);
    await spa.logoutAtProvider();
    expect(await me(spa.accessToken)).toMatchObject({
      status: 401,
      body: { error: 'ERR_TOKEN_REVOKED', message: expect.stringMatching(/subject rule/) },
    });
    expect((await me(carol.accessToken)).status).toBe(200);
  });

  it('refuses a logout token that is not from the provider', async () => {
    const response = await fetch(`${example.apiUrl}/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IifQ.' }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });
});
