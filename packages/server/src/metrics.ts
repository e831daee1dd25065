import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * The service's Prometheus metrics, on their own registry.
 *
 * @example
 * ```ts
 * const metrics = new ServiceMetrics();
 * metrics.verifications.inc({ result: 'ok', code: 'none' });
 * reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
 * ```
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly verifications = new Counter({
    name: 'revocable_verifications_total',
    help: 'Access-token verifications by result and error code',
    labelNames: ['result', 'code'] as const,
    registers: [this.registry],
  });
  readonly revocations = new Counter({
    name: 'revocable_revocations_total',
    help: 'Revocation rules written to the log, by rule kind and reason',
    labelNames: ['rule', 'reason'] as const,
    registers: [this.registry],
  });
  readonly refreshReuse = new Counter({
    name: 'revocable_refresh_reuse_detections_total',
    help: 'Refresh tokens used again outside the grace window (each revoked a session)',
    registers: [this.registry],
  });
  readonly untrustedRevocations = new Counter({
    name: 'revocable_revoke_untrusted_total',
    help: 'RFC 7009 requests for tokens of issuers this service does not trust (answered 200, nothing written)',
    registers: [this.registry],
  });
  readonly backchannelLogouts = new Counter({
    name: 'revocable_backchannel_logouts_total',
    help: 'OIDC back-channel logout tokens received, by trusted issuer id and result',
    labelNames: ['issuer', 'result'] as const,
    registers: [this.registry],
  });
  readonly loginFailures = new Counter({
    name: 'revocable_login_failures_total',
    help: 'Failed logins by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly replicaLag = new Gauge({
    name: 'revocable_replica_lag_events',
    help: 'Events in the log not yet applied by this process replica',
    registers: [this.registry],
  });
  readonly replicaStaleness = new Gauge({
    name: 'revocable_replica_staleness_seconds',
    help: 'Seconds since the replica last heard from its feed',
    registers: [this.registry],
  });
  readonly replicaEntries = new Gauge({
    name: 'revocable_replica_entries',
    help: 'Live rules held by the replica, by rule kind',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });
  readonly replicaSeq = new Gauge({
    name: 'revocable_replica_last_seq',
    help: 'Last log seq applied by the replica',
    registers: [this.registry],
  });

  readonly feedPublishFailures = new Counter({
    name: 'revocable_feed_publish_failures_total',
    help: 'Failed attempts to publish revocations to Redis Streams (each is retried from the last published seq)',
    registers: [this.registry],
  });
  readonly feedPublishedSeq = new Gauge({
    name: 'revocable_feed_published_seq',
    help: 'Last log seq known to be in the Redis stream (-1 before the publisher found its position)',
    registers: [this.registry],
    collect: () => {
      const stats = this.feedPublisher?.();
      if (stats) this.feedPublishedSeq.set(stats.publishedSeq);
    },
  });
  /** Set when the service publishes to Redis: reads the publisher's figures at scrape time. */
  feedPublisher: (() => { readonly publishedSeq: number }) | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
