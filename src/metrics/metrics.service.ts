import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export type LoginOutcome = 'success' | 'invalid_credentials' | 'locked' | 'mfa_required';
export type MailOutcome = 'sent' | 'retried' | 'failed';

/** Requests no route matched share one label, so random URLs cannot explode the series count. */
export const UNMATCHED_ROUTE = 'unmatched';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Prometheus metrics of one application instance. Each instance owns its Registry (never
 * prom-client's global one), so several apps in one process do not collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly logins = new Counter({
    name: 'auth_login_attempts_total',
    help: 'Login attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly lockouts = new Counter({
    name: 'auth_lockouts_total',
    help: 'Emails locked after too many failed logins',
    registers: [this.registry],
  });
  private readonly reuses = new Counter({
    name: 'auth_refresh_token_reuse_total',
    help: 'Rotated refresh tokens presented again (the session is revoked)',
    registers: [this.registry],
  });
  private readonly rateLimits = new Counter({
    name: 'http_rate_limited_total',
    help: 'Requests refused with 429 by the rate limiter, by policy',
    labelNames: ['policy'] as const,
    registers: [this.registry],
  });
  private readonly revocations = new Counter({
    name: 'auth_sessions_revoked_total',
    help: 'Sessions revoked, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly mails = new Counter({
    name: 'mail_delivery_attempts_total',
    help: 'Outbox delivery attempts by outcome (failed: given up, no more retries)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Zero-valued series from the start, so rate() works before the first event.
    for (const outcome of ['success', 'invalid_credentials', 'locked', 'mfa_required'] as const) {
      this.logins.inc({ outcome }, 0);
    }
    for (const outcome of ['sent', 'retried', 'failed'] as const) this.mails.inc({ outcome }, 0);
  }

  observeRequest(method: string, route: string | undefined, status: number, seconds: number) {
    this.httpDuration.observe(
      { method, route: route ?? UNMATCHED_ROUTE, status_code: String(status) },
      seconds,
    );
  }

  loginAttempt(outcome: LoginOutcome) {
    this.logins.inc({ outcome });
  }

  lockout() {
    this.lockouts.inc();
  }

  tokenReuse() {
    this.reuses.inc();
  }

  mailDelivered(outcome: MailOutcome) {
    this.mails.inc({ outcome });
  }

  /** To be called by the rate limiter each time it answers 429. */
  rateLimited(policy = 'default') {
    this.rateLimits.inc({ policy });
  }

  /** `reason` must come from a small fixed set (an audit action), never from user input. */
  sessionsRevoked(count: number, reason: string) {
    if (count > 0) this.revocations.inc({ reason: reason.toLowerCase() }, count);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * Fastify `onResponse` hook timing every request, 404s and body-parse errors included.
 * `routeOptions.url` is the pattern (`/api/sessions/:id`), never the raw URL.
 */
export function httpMetricsHook(metrics: MetricsService) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    metrics.observeRequest(
      request.method,
      request.is404 ? undefined : request.routeOptions.url,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  };
}
