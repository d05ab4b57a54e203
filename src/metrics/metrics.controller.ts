import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppError } from '../common/app-error';
import { Public } from '../common/decorators';
import { AppConfig } from '../config/app-config';
import { MetricsService } from './metrics.service';

/** Prometheus scrape endpoint on PORT unless METRICS_PORT is set; needs `Authorization: Bearer <METRICS_TOKEN>` when that is set. */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    // METRICS_PORT moves the endpoint to its own listener (MetricsListener).
    if (this.config.metricsPort !== undefined) throw AppError.notFound('Route not found');
    const token = this.config.metricsToken;
    if (token && !bearerMatches(authorization, token)) {
      throw AppError.unauthorized('Valid metrics token required');
    }
    reply.header('Content-Type', this.metrics.contentType);
    reply.header('Cache-Control', 'no-store');
    return this.metrics.render();
  }
}

/** Compares digests, so neither the token's content nor its length leaks through timing. */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match?.[1] ?? ''), digest(expected)) && match !== null;
}
