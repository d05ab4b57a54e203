import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto';
import type { AppConfig } from '../config/app-config';

export type RateLimitName = keyof AppConfig['rateLimits'];
export const RATE_LIMIT = 'rateLimit';

/**
 * Limits the route per client IP with the RATE_LIMIT_<NAME> policy. The 429 documented here
 * also marks the route as limited for `setupSwagger`, which adds the X-RateLimit-* headers.
 */
export function RateLimited(name: RateLimitName) {
  return applyDecorators(
    SetMetadata(RATE_LIMIT, name),
    ApiTooManyRequestsResponse({
      type: ErrorResponse,
      description: `RATE_LIMIT_${name.toUpperCase()} exceeded for this client IP; see Retry-After`,
      headers: {
        'Retry-After': {
          description: 'Seconds until a request is accepted again',
          schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 2147483647 },
        },
      },
    }),
  );
}
