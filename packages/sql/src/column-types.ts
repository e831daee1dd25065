import type { ColumnType } from 'kysely';

/**
 * A 64-bit integer column: written as a JS number, read back as whatever the driver gives (pg returns
 * `int8` as a string to keep precision), so every read goes through `Number()`.
 */
export type Int8 = ColumnType<number | string | bigint, number, number>;

/** A nullable {@link Int8}: read back through {@link numberOrNull}. */
export type NullableInt8 = ColumnType<number | string | bigint | null, number | null, number | null>;

/** An `Int8` as read from either driver, as a JS number. */
export function numberOf(value: number | string | bigint): number {
  return Number(value);
}

/** A nullable `Int8` as read from either driver: `null` stays `null`. */
export function numberOrNull(value: number | string | bigint | null): number | null {
  return value === null ? null : Number(value);
}
