import { sign } from 'node:crypto';
import { loadConfig } from '@revocable/server';
import { openRuntime, type Runtime } from '@revocable/server/internal';
import { afterEach, describe, expect, it } from 'vitest';

// The service builds one RevocationPolicy from its flags (--access-token-ttl, the fixed 60 s clock
// margin) and every component that keeps or bounds lifetimes reads it: the log, the replica, both
// verifiers, the key ring, the issuer. One wrong wire and a revoked token outlives its rule.

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.close();
});

async function runtimeWith(argv: string[]): Promise<Runtime> {
  const runtime = await openRuntime(loadConfig(['--database', 'memory', ...argv], {}));
  runtimes.push(runtime);
  return runtime;
}

describe('the service runs on one lifetime policy', () => {
  it('builds it once from --access-token-ttl, with the 60 s clock margin', () => {
    expect(loadConfig(['--access-token-ttl', '900'], {}).revocationPolicy).toEqual({
      maxTokenLifetimeMs: 900_000,
      clockSkewMs: 60_000,
    });
    expect(loadConfig([], {}).revocationPolicy).toEqual({ maxTokenLifetimeMs: 600_000, clockSkewMs: 60_000 });
  });

  it('hands the same policy to the replica, the verifier, the key ring and the issuer', async () => {
    const runtime = await runtimeWith(['--access-token-ttl', '900']);
    const policy = runtime.config.revocationPolicy;
    expect(runtime.replica.policy).toEqual(policy);
    expect(runtime.verifier.policy).toEqual(policy);
    expect(runtime.verifier.maxTokenLifetimeSec).toBe(900);
    expect(runtime.verifierIgnoringRevocation.maxTokenLifetimeSec).toBe(900);
    expect(runtime.keys.policy).toEqual(policy);
    expect(runtime.issuer.policy).toEqual(policy);
    expect(runtime.issuer.issue({ sub: 'u' }).expiresIn).toBe(900);
  });

  it('writes cutoffs to its log that are kept one policy lifetime plus the margin', async () => {
    const runtime = await runtimeWith(['--access-token-ttl', '900']);
    const cutoff = Date.now();
    const [event] = await runtime.log.append([
      {
        rule: { kind: 'session', iss: runtime.config.issuer, sid: 's-1', cutoff },
        reason: 'logout',
        actor: 'test',
      },
    ]);
    expect(event!.forgetAfter).toBe(cutoff + 900_000 + 60_000);
  });

  it("refuses a 3,600 s token signed with the service's own key, on a 600 s policy", async () => {
    const runtime = await runtimeWith([]);
    const key = runtime.keys.signingKey();
    const iat = Math.floor(Date.now() / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const signed = (lifetime: number) => {
      const input = `${part({ alg: key.alg, typ: 'at+jwt', kid: key.kid })}.${part({
        iss: runtime.config.issuer,
        sub: 'u',
        aud: runtime.config.audience,
        iat,
        exp: iat + lifetime,
        jti: `j-${lifetime}`,
      })}`;
      return `${input}.${sign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
    };
    // control: the same forging, within the policy, is accepted
    expect(runtime.verifier.verifySync(signed(600)).claims.sub).toBe('u');
    expect(() => runtime.verifier.verifySync(signed(3600))).toThrow(
      expect.objectContaining({ code: 'ERR_CLAIM_INVALID', claim: 'exp' }),
    );
  });
});
