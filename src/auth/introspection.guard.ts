import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { bearerToken } from './jwt-auth.guard';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The introspection route exists only with INTROSPECTION_TOKEN set (else 404, like an
 * unknown route) and answers only callers presenting it (compared in constant time).
 */
@Injectable()
export class IntrospectionGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(config: AppConfig) {
    if (config.introspectionToken) this.expected = digest(config.introspectionToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) throw AppError.notFound('Route not found');
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = bearerToken(request.headers.authorization);
    if (!presented || !timingSafeEqual(digest(presented), this.expected)) {
      throw AppError.unauthorized('Introspection requires the INTROSPECTION_TOKEN bearer');
    }
    return true;
  }
}
