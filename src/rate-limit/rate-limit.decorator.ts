import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiHeader, ApiResponse, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto';
import type { AppConfig } from '../config/app-config';

export type RateLimitName = keyof AppConfig['rateLimits'];
export const RATE_LIMIT = 'rateLimit';

/** Limits the route per client IP with the RATE_LIMIT_<NAME> policy. */
export function RateLimited(name: RateLimitName) {
  return applyDecorators(
    SetMetadata(RATE_LIMIT, name),
    ApiTooManyRequestsResponse({
      type: ErrorResponse,
      description: `RATE_LIMIT_${name.toUpperCase()} exceeded for this client IP; see Retry-After`,
      headers: {
        'Retry-After': {
          description: 'Seconds until a request is accepted again',
          schema: { type: 'integer' },
        },
      },
    }),
    ApiHeader({
      name: 'X-Forwarded-For',
      required: false,
      description: 'Believed only from TRUST_PROXY hops',
    }),
    ApiResponse({
      status: 'default',
      description:
        'Every response carries X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset',
    }),
  );
}
