import { helpText, loadConfig, OPTIONS } from '@revocable/server';
import { describe, expect, it } from 'vitest';

describe('configuration', () => {
  it('has defaults that start on embedded SQLite', () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({
      port: 3000,
      database: './revocable.db',
      issuer: 'http://localhost:3000',
      alg: 'EdDSA',
      accessTokenTtlSec: 600,
      refreshGraceSec: 10,
      stalePolicy: 'fail-closed',
      registration: true,
      allowedOrigins: ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000'],
    });
  });

  it('reads every setting from REVOCABLE_* variables, and flags win over them', () => {
    const env = {
      REVOCABLE_PORT: '8080',
      REVOCABLE_DATABASE: 'postgres://db/revocable',
      REVOCABLE_CLIENTS: 'api:0123456789abcdef,worker:fedcba9876543210',
      REVOCABLE_ADMIN_TOKEN: 'a'.repeat(32),
      REVOCABLE_ALLOWLIST: 'true',
    };
    const config = loadConfig(['--port', '9090'], env);
    expect(config.port).toBe(9090);
    expect(config.database).toBe('postgres://db/revocable');
    expect(config.clients).toEqual([
      { id: 'api', secret: '0123456789abcdef' },
      { id: 'worker', secret: 'fedcba9876543210' },
    ]);
    expect(config.allowlist).toBe(true);
  });

  it('reads the Redis stream settings, and refuses a key prefix that could break the hash tag', () => {
    expect(loadConfig([], {})).toMatchObject({ redisKeyPrefix: 'revocable', redisMaxLength: 100_000 });
    const config = loadConfig(['--redis-key-prefix', 'prod-eu'], { REVOCABLE_REDIS_MAX_LENGTH: '20000' });
    expect(config).toMatchObject({ redisKeyPrefix: 'prod-eu', redisMaxLength: 20_000 });
    expect(() => loadConfig(['--redis-key-prefix', 'a}b'], {})).toThrow(/redis-key-prefix/);
    expect(() => loadConfig(['--redis-max-length', '10'], {})).toThrow(/redis-max-length/);
  });

  it('refuses invalid values with a message that never echoes a secret', () => {
    expect(() => loadConfig(['--port', 'eighty'], {})).toThrow(/port/);
    expect(() => loadConfig(['--alg', 'none'], {})).toThrow(/alg/);
    expect(() => loadConfig([], { REVOCABLE_ADMIN_TOKEN: 'short-secret' })).toThrow(/at least 32/);
    try {
      loadConfig([], { REVOCABLE_CLIENTS: 'api:tiny-secret' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('tiny-secret');
    }
    expect(() => loadConfig(['--unknown-flag'], {})).toThrow();
  });

  it('documents every option in --help with its environment variable', () => {
    const help = helpText();
    for (const option of OPTIONS) {
      expect(help).toContain(`--${option.flag}`);
      expect(help).toContain(option.env);
    }
  });
});
