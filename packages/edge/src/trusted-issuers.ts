import { readFileSync } from 'node:fs';
import {
  ConfiguredIssuers,
  lifetimeOf,
  MultiIssuerVerifier,
  parseTrustedIssuers,
  RevocableError,
  type ServiceConnection,
  type TrustedIssuerConfig,
} from '@revocable/core';
import type { TokenVerifier } from '@revocable/core/fetch';

const MAX_FILE_BYTES = 1024 * 1024;

function invalid(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

/**
 * The trusted issuers of a configuration file: the same JSON file the service reads (`--config`),
 * of which the edge takes `trustedIssuers` (the service's own options in it are the service's).
 * Throws `ERR_CONFIG_INVALID` naming the file, or the entry, that is wrong.
 *
 * @example
 * ```ts
 * const issuers = readTrustedIssuers('/etc/revocable/config.json', 'https://auth.example');
 * ```
 */
export function readTrustedIssuers(path: string, serviceIssuer: string): TrustedIssuerConfig[] {
  let document: unknown;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_FILE_BYTES) throw invalid(`The configuration file ${path} is larger than 1 MiB.`);
    document = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    if (err instanceof RevocableError) throw err;
    throw invalid(`The configuration file ${path} could not be read as JSON: ${(err as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw invalid(`The configuration file ${path} must hold a JSON object.`);
  return parseTrustedIssuers(
    (document as Record<string, unknown>)['trustedIssuers'],
    'trustedIssuers',
    serviceIssuer,
  );
}

/**
 * Checks that the service keeps the revocations of every issuer the edge trusts for as long as that
 * issuer's tokens live: the service publishes its per-issuer lifetimes in its metadata
 * (`revocable_revocation_policy.issuers`). An issuer the service does not list, or lists with a
 * shorter lifetime, would have its cutoffs forgotten while its tokens are still accepted here.
 */
function assertServiceKeeps(connection: ServiceConnection, configs: readonly TrustedIssuerConfig[]): void {
  const listed = connection.metadata.policy.issuers ?? {};
  for (const config of configs) {
    if (!Object.hasOwn(listed, config.issuer)) {
      throw invalid(
        `The edge trusts ${config.issuer} (trustedIssuers "${config.id}"), but the service at ${connection.issuer} does not: it would not keep that issuer's revocations. Add the same entry to the service's --config, and restart it.`,
      );
    }
    const kept = lifetimeOf(connection.metadata.policy, config.issuer);
    if (kept < config.maxTokenLifetimeSec * 1000) {
      throw invalid(
        `trustedIssuers "${config.id}" says its tokens live ${config.maxTokenLifetimeSec} s, but the service keeps that issuer's revocations for ${kept / 1000} s only: use the service's value, or raise it there.`,
      );
    }
  }
}

/**
 * One verifier for the service's own tokens and the trusted issuers' (Entra ID, Auth0, Keycloak, …),
 * all checked against the connection's replica: the service's feed carries every issuer's revocations.
 *
 * @example
 * ```ts
 * const { verifier } = await trustedVerifier(connection, readTrustedIssuers(path, connection.issuer));
 * ```
 */
export async function trustedVerifier(
  connection: ServiceConnection,
  configs: readonly TrustedIssuerConfig[],
): Promise<{ verifier: TokenVerifier; issuers: ConfiguredIssuers | undefined }> {
  if (configs.length === 0) return { verifier: connection.verifier, issuers: undefined };
  assertServiceKeeps(connection, configs);
  const issuers = await ConfiguredIssuers.open(configs, { revocation: connection.replica });
  const verifier = new MultiIssuerVerifier([
    ...issuers.routes,
    { issuer: connection.issuer, verifier: connection.verifier },
  ]);
  return { verifier, issuers };
}
