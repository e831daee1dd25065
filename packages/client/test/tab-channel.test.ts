import { describe, expect, it } from 'vitest';
import { storageTabChannel, type TabMessage } from '../src/tab-channel.js';
import { MemoryStorage } from './support/fakes.js';

function storageEvents() {
  const listeners = new Set<(event: StorageEvent) => void>();
  return {
    addEventListener: (_: 'storage', l: (event: StorageEvent) => void) => listeners.add(l),
    removeEventListener: (_: 'storage', l: (event: StorageEvent) => void) => listeners.delete(l),
    fire: (key: string, newValue: string | null) => {
      for (const l of listeners) l({ key, newValue } as StorageEvent);
    },
  };
}

describe('storageTabChannel (the fallback without BroadcastChannel)', () => {
  it('never writes a token to storage', () => {
    const storage = new MemoryStorage();
    const writes: string[] = [];
    storage.setItem = (key, value) => void writes.push(`${key}=${value}`);
    const channel = storageTabChannel(storage, storageEvents(), 'app:message');
    channel.post({
      type: 'token',
      from: 'a',
      grant: { token: 'secret', issuedAt: 0, expiresAt: 1, sessionId: null },
    });
    channel.post({ type: 'logout', from: 'a', reason: 'logout' });
    expect(writes).toHaveLength(1);
    expect(writes[0]).toContain('"type":"logout"');
    expect(writes.join()).not.toContain('secret');
    expect(storage.length).toBe(0);
  });

  it('delivers the messages other tabs write, and ignores other keys and junk', () => {
    const events = storageEvents();
    const channel = storageTabChannel(new MemoryStorage(), events, 'app:message');
    const got: TabMessage[] = [];
    channel.subscribe((m) => got.push(m));
    events.fire('app:message', JSON.stringify({ type: 'logout', from: 'b', reason: 'logout' }));
    events.fire('other', JSON.stringify({ type: 'logout', from: 'b', reason: 'logout' }));
    events.fire('app:message', '{not json');
    events.fire('app:message', JSON.stringify({ type: 'launch', from: 'b' }));
    events.fire('app:message', null);
    expect(got).toEqual([{ type: 'logout', from: 'b', reason: 'logout' }]);
  });
});
