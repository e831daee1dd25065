import { ALGORITHMS, RevocableError, STALE_POLICIES } from '@revocable/core';
import { helpText, loadConfig } from '@revocable/server';
import { OPTIONS } from '@revocable/server/internal';
import { describe, expect, it } from 'vitest';

/** The error `loadConfig` throws for these flags and variables; fails the test when it returns. */
function configError(argv: string[], env: NodeJS.ProcessEnv = {}): RevocableError {
  try {
    loadConfig(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(RevocableError);
    expect((err as RevocableError).code).toBe('ERR_CONFIG_INVALID');
    return err as RevocableError;
  }
  throw new Error(`expected ERR_CONFIG_INVALID for ${argv.join(' ')} ${JSON.stringify(env)}`);
}

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

  it('trusts no proxy by default, and takes proxy addresses and CIDRs, never a hop count', () => {
    expect(loadConfig([], {}).trustProxy).toBe(false);
    expect(loadConfig(['--trust-proxy', '10.0.0.5, 10.1.0.0/16,loopback'], {}).trustProxy).toEqual([
      '10.0.0.5',
      '10.1.0.0/16',
      'loopback',
    ]);
    expect(loadConfig(['--trust-proxy', '::1,fd00::/8'], {}).trustProxy).toEqual(['::1', 'fd00::/8']);
    expect(loadConfig(['--trust-proxy', '0'], {}).trustProxy).toBe(false);
    expect(() => loadConfig([], { REVOCABLE_TRUST_PROXY: '1' })).toThrow(/no hop count/);
    expect(() => loadConfig(['--trust-proxy', '10.0.0.0/33'], {})).toThrow(/not an IP address, a CIDR/);
    expect(() => loadConfig(['--trust-proxy', 'proxy.internal'], {})).toThrow(/not an IP address, a CIDR/);
  });

  it('refuses the old boolean --trust-proxy and says what to write instead', () => {
    const forms: Array<[string[], NodeJS.ProcessEnv]> = [
      [['--trust-proxy'], {}],
      [['--trust-proxy', '--port', '8080'], {}],
      [['--trust-proxy', 'true'], {}],
      [[], { REVOCABLE_TRUST_PROXY: 'true' }],
      [[], { REVOCABLE_TRUST_PROXY: 'yes' }],
    ];
    for (const [argv, env] of forms) {
      expect(() => loadConfig(argv, env), argv.join(' ') || JSON.stringify(env)).toThrow(
        /Invalid configuration: .*trust-proxy.*--trust-proxy 10\.0\.0\.5.*--trust-proxy loopback/,
      );
    }
  });

  it('has one public client by default, takes a list, and refuses a confidential or reserved id', () => {
    expect(loadConfig([], {}).publicClients).toEqual(['revocable-web']);
    expect(loadConfig(['--public-clients', 'revocable-web, ios-app'], {}).publicClients).toEqual([
      'revocable-web',
      'ios-app',
    ]);
    expect(() => loadConfig(['--public-clients', 'api', '--clients', 'api:0123456789abcdef'], {})).toThrow(
      /both --clients and --public-clients/,
    );
    expect(() => loadConfig(['--public-clients', 'trusted-backend'], {})).toThrow(/reserved/);
    expect(() => loadConfig(['--public-clients', 'has space'], {})).toThrow(/public client id/);
    expect(() => loadConfig(['--public-clients', ' , '], {})).toThrow(/at least one/);
  });

  it('leaves /metrics open unless a metrics token of at least 32 characters is set', () => {
    expect(loadConfig([], {}).metricsToken).toBeUndefined();
    expect(loadConfig([], { REVOCABLE_METRICS_TOKEN: 'm'.repeat(32) }).metricsToken).toBe('m'.repeat(32));
    try {
      loadConfig(['--metrics-token', 'short-metrics-secret'], {});
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/metrics token must be at least 32/);
      expect((err as Error).message).not.toContain('short-metrics-secret');
    }
  });
});

describe('configuration errors', () => {
  it('are RevocableError ERR_CONFIG_INVALID naming the flag and its environment variable', () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, string, string]> = [
      [['--port', 'eighty'], {}, '--port', 'REVOCABLE_PORT'],
      [[], { REVOCABLE_PORT: '70000' }, '--port', 'REVOCABLE_PORT'],
      [['--access-token-ttl', '5'], {}, '--access-token-ttl', 'REVOCABLE_ACCESS_TOKEN_TTL'],
      [['--max-staleness', '1.5'], {}, '--max-staleness', 'REVOCABLE_MAX_STALENESS'],
      [['--max-connections', '0'], {}, '--max-connections', 'REVOCABLE_MAX_CONNECTIONS'],
      [['--alg', 'none'], {}, '--alg', 'REVOCABLE_ALG'],
      [['--issuer', 'not a url'], {}, '--issuer', 'REVOCABLE_ISSUER'],
      [
        ['--session-idle', '600', '--session-absolute', '300'],
        {},
        '--session-absolute',
        'REVOCABLE_SESSION_ABSOLUTE',
      ],
      [['--redis-key-prefix', 'a}b'], {}, '--redis-key-prefix', 'REVOCABLE_REDIS_KEY_PREFIX'],
      [['--public-clients', 'has space'], {}, '--public-clients', 'REVOCABLE_PUBLIC_CLIENTS'],
      [['--trust-proxy', 'proxy.internal'], {}, '--trust-proxy', 'REVOCABLE_TRUST_PROXY'],
    ];
    for (const [argv, env, flag, variable] of cases) {
      const { message } = configError(argv, env);
      expect(message, argv.join(' ')).toContain(flag);
      expect(message, argv.join(' ')).toContain(variable);
    }
  });

  it('say the unit a number is read in', () => {
    expect(configError(['--port', '70000']).message).toMatch(/port number from 0 to 65535/);
    expect(configError(['--access-token-ttl', '5']).message).toMatch(/whole number of seconds from 10/);
    expect(configError(['--max-staleness', '5']).message).toMatch(/whole number of milliseconds from 100/);
    expect(configError(['--max-connections', '0']).message).toMatch(/whole number from 1/);
  });

  it('never print a secret value', () => {
    const secrets: Array<[string[], NodeJS.ProcessEnv, string]> = [
      [['--admin-token', 'short-admin-secret'], {}, 'short-admin-secret'],
      [[], { REVOCABLE_METRICS_TOKEN: 'short-metrics-secret' }, 'short-metrics-secret'],
      [['--clients', 'api:tiny-secret'], {}, 'tiny-secret'],
      [['--clients', 'no-colon-secret-value'], {}, 'no-colon-secret-value'],
    ];
    for (const [argv, env, secret] of secrets) {
      const { message } = configError(argv, env);
      expect(message).not.toContain(secret);
    }
    expect(configError(['--admin-token', 'short-admin-secret']).message).toContain('REVOCABLE_ADMIN_TOKEN');
  });

  it('refuse an unknown flag with the same code', () => {
    expect(configError(['--unknown-flag']).message).toContain('--unknown-flag');
  });

  it('refuse --stale-policy introspect with the reason: the service has no issuer to ask but itself', () => {
    for (const [argv, env] of [
      [['--stale-policy', 'introspect'], {}],
      [[], { REVOCABLE_STALE_POLICY: 'introspect' }],
    ] as const) {
      const { message } = configError([...argv], env);
      expect(message).toContain('--stale-policy');
      expect(message).toContain('REVOCABLE_STALE_POLICY');
      expect(message).toMatch(/itself/);
    }
    expect(configError(['--stale-policy', 'sometimes']).message).toMatch(/fail-closed or fail-open/);
  });
});

describe('the lists the configuration accepts', () => {
  it("take every algorithm of the core's list, and name that list when refusing", () => {
    for (const alg of ALGORITHMS) expect(loadConfig(['--alg', alg], {}).alg).toBe(alg);
    expect(configError(['--alg', 'RS512']).message).toContain(ALGORITHMS.join(', '));
  });

  it("take every stale policy of the core's list that can apply to the service's own replica", () => {
    for (const policy of STALE_POLICIES.filter((p) => p !== 'introspect')) {
      expect(loadConfig(['--stale-policy', policy], {}).stalePolicy).toBe(policy);
    }
  });
});

describe('option kinds', () => {
  it('say what each option parses', () => {
    const kinds = Object.fromEntries(OPTIONS.map((o) => [o.flag, o.kind]));
    expect(kinds).toMatchObject({
      port: 'port',
      'access-token-ttl': 'seconds',
      'session-idle': 'seconds',
      'key-reload-interval': 'seconds',
      'max-staleness': 'milliseconds',
      'db-connect-timeout': 'milliseconds',
      'request-timeout': 'milliseconds',
      'max-connections': 'count',
      'redis-max-length': 'count',
      'admin-token': 'secret',
      allowlist: 'switch',
      alg: 'choice',
    });
  });

  it('show in --help as the unit of the value', () => {
    const help = helpText();
    expect(help).toMatch(/--port <port>/);
    expect(help).toMatch(/--access-token-ttl <seconds>/);
    expect(help).toMatch(/--max-staleness <ms>/);
    expect(help).toMatch(/--max-connections <count>/);
    expect(help).toMatch(/--allowlist\s/);
  });
});
