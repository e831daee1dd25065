import { RevocableError } from '@revocable/core';
import { loadConfig } from '@revocable/server';
import { describe, expect, it } from 'vitest';

describe('--status-list settings', () => {
  it('are off by default, with a 500 ms interval, a 30 s ttl and 1,048,576 entries', () => {
    expect(loadConfig([], {}).statusList).toEqual({
      enabled: false,
      intervalMs: 500,
      ttlSec: 30,
      size: 1_048_576,
    });
  });

  it('are read from the flags and from REVOCABLE_STATUS_LIST*', () => {
    const flags = ['--status-list', '--status-list-interval', '250', '--status-list-ttl', '5'];
    expect(loadConfig([...flags, '--status-list-size', '4096'], {}).statusList).toEqual({
      enabled: true,
      intervalMs: 250,
      ttlSec: 5,
      size: 4096,
    });
    const env = {
      REVOCABLE_STATUS_LIST: 'true',
      REVOCABLE_STATUS_LIST_INTERVAL: '1000',
      REVOCABLE_STATUS_LIST_TTL: '60',
      REVOCABLE_STATUS_LIST_SIZE: '65536',
    };
    expect(loadConfig([], env).statusList).toEqual({
      enabled: true,
      intervalMs: 1000,
      ttlSec: 60,
      size: 65536,
    });
  });

  it.each([
    [['--status-list-interval', '50'], 'status-list-interval'],
    [['--status-list-interval', '60001'], 'status-list-interval'],
    [['--status-list-ttl', '0'], 'status-list-ttl'],
    [['--status-list-size', '1000'], 'status-list-size'],
    [['--status-list-size', '67108865'], 'status-list-size'],
    [['--status-list-size', 'many'], 'status-list-size'],
  ])('refuses %j with ERR_CONFIG_INVALID naming the flag', (argv, flag) => {
    let error: unknown;
    try {
      loadConfig(argv, {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RevocableError);
    expect((error as RevocableError).code).toBe('ERR_CONFIG_INVALID');
    expect((error as RevocableError).message).toContain(`--${flag}`);
  });
});
