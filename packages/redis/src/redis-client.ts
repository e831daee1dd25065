import type { Cluster, Redis } from 'ioredis';

/**
 * An `ioredis` client: a single node (`Redis`, also through Sentinel) or a `Cluster`.
 *
 * @example
 * ```ts
 * const client: RedisClient = new Cluster([{ host: 'redis-1', port: 6379 }]);
 * ```
 */
export type RedisClient = Redis | Cluster;

/** Arguments of a raw Redis command. */
export type CommandArgs = (string | number)[];

/** The few client operations this package uses, typed once (the ioredis overloads differ per class). */
export interface StreamCommands {
  readonly status: string;
  call(command: string, ...args: CommandArgs): Promise<unknown>;
  pipeline(): {
    call(command: string, ...args: CommandArgs): unknown;
    exec(): Promise<[error: Error | null, result: unknown][] | null>;
  };
  duplicate(): StreamCommands;
  disconnect(reconnect?: boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The injected client seen through {@link StreamCommands}. */
export function streamCommands(client: RedisClient): StreamCommands {
  return client as unknown as StreamCommands;
}

/** Redis refuses an XADD whose explicit id is not above the stream's top: the entry is already there. */
export function isAlreadyAdded(error: unknown): boolean {
  return error instanceof Error && /equal or smaller than the target stream top item/i.test(error.message);
}
