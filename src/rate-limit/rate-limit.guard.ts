import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { AppError } from '../common/app-error';
import { clientInfoOf } from '../common/decorators';
import { MetricsService } from '../metrics/metrics.service';
import { RATE_LIMIT } from './rate-limit.decorator';

/**
 * @nestjs/throttler, limited to routes marked @RateLimited(), with the contract's 429:
 * the error envelope with `retry_after`, and the X-RateLimit-* headers on the 429 too.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
  ) {
    super(options, storage, reflector);
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(
      !this.reflector.get<string | undefined>(RATE_LIMIT, context.getHandler()),
    );
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const http = context.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    reply.header('X-RateLimit-Limit', detail.limit);
    reply.header('X-RateLimit-Remaining', 0);
    reply.header('X-RateLimit-Reset', retryAfter);
    this.metrics.rateLimited(this.reflector.get<string>(RATE_LIMIT, context.getHandler()));
    this.audit.recordDetached({
      userId: null,
      action: 'RATE_LIMITED',
      resource: 'auth',
      details: { route: request.routeOptions.url, limit: detail.limit },
      client: clientInfoOf(request),
    });
    throw new AppError(
      HttpStatus.TOO_MANY_REQUESTS,
      'TOO_MANY_REQUESTS',
      'Too many requests, try again later',
      undefined,
      retryAfter,
    );
  }
}
