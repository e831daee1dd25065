import type { FastifyInstance } from 'fastify';
import { ServiceError } from '../errors.js';
import { HEALTH_ANSWER, METRICS_ANSWER, readinessAnswer } from '../http/answer-schemas.js';
import { hasBearerCredential } from '../http/bearer-credential.js';
import { errorAnswer } from '../http/openapi-schemas.js';
import { databaseProbe } from '../readiness.js';
import type { Runtime } from '../runtime.js';

/** `/healthz` (the process answers), `/readyz` (database reachable, replica fresh), `/metrics`. */
export function opsRoutes(app: FastifyInstance, runtime: Runtime): void {
  const { metrics, replica, storage } = runtime;
  app.get(
    '/healthz',
    { schema: { tags: ['ops'], summary: 'Liveness', response: { 200: HEALTH_ANSWER } } },
    async () => ({ status: 'ok' }),
  );
  const probeDatabase = databaseProbe(storage, runtime.config.readyTimeoutMs);
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: database and replica',
        response: {
          200: readinessAnswer('Ready: the database answers and the replica is fresh.'),
          503: readinessAnswer('Not ready: the database does not answer (in time), or the replica is stale.'),
        },
      },
    },
    async (_request, reply) => {
      const stats = replica.stats();
      const database = await probeDatabase();
      const ready = database === 'ok' && !stats.stale;
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', database, replica_stale: stats.stale });
    },
  );
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['ops'],
        summary: 'Prometheus metrics (Bearer credential with --metrics-token)',
        description:
          'Open unless the service runs with --metrics-token; then that token is the Bearer credential.',
        security: [{}, { metrics: [] }],
        response: {
          200: METRICS_ANSWER,
          401: errorAnswer(401, 'The metrics credential is missing or wrong (ERR_METRICS_AUTH_REQUIRED).'),
        },
      },
    },
    async (request, reply) => {
      const { metricsToken } = runtime.config;
      if (metricsToken !== undefined && !hasBearerCredential(request, metricsToken)) {
        reply.header('WWW-Authenticate', 'Bearer realm="revocable-metrics"');
        throw new ServiceError('ERR_METRICS_AUTH_REQUIRED', 'The metrics credential is missing or wrong.');
      }
      const stats = replica.stats();
      const logSeq = await storage.log.lastSeq().catch(() => stats.lastSeq);
      metrics.replicaLag.set(Math.max(0, logSeq - stats.lastSeq));
      metrics.replicaStaleness.set(Number.isFinite(stats.stalenessMs) ? stats.stalenessMs / 1000 : -1);
      metrics.replicaSeq.set(stats.lastSeq);
      for (const rule of ['tokens', 'sessions', 'subjects', 'keys', 'issuers', 'allowed'] as const) {
        metrics.replicaEntries.set({ rule }, stats[rule]);
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );
}
