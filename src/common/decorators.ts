import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Role } from './roles';
import { ErrorResponse } from './error-response.dto';

export const IS_PUBLIC = 'isPublic';
/** Metadata key of the roles a route requires (set by @Auth, read by RolesGuard). */
export const REQUIRED_ROLES = 'requiredRoles';

/** Opts a route out of the global JWT guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Requires an access token, and one of `roles` when given; documents both in Swagger. */
export function Auth(...roles: Role[]) {
  const decorators = [
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      type: ErrorResponse,
      description: 'Missing, invalid or revoked access token',
    }),
  ];
  if (roles.length > 0) {
    decorators.push(
      SetMetadata(REQUIRED_ROLES, roles),
      ApiForbiddenResponse({
        type: ErrorResponse,
        description: `Requires role: ${roles.join(' or ')}`,
      }),
    );
  }
  return applyDecorators(...decorators);
}

/** The authenticated principal set by the JWT guard. */
export interface Principal {
  userId: string;
  role: Role;
  sessionId: string;
  jti: string;
  exp: number;
}

export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal =>
    ctx.switchToHttp().getRequest<FastifyRequest & { user: Principal }>().user,
);

export interface ClientInfo {
  ip: string;
  userAgent: string | null;
  requestId: string;
}

export function clientInfoOf(request: FastifyRequest): ClientInfo {
  const ua = request.headers['user-agent'];
  return {
    ip: request.ip,
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
    requestId: String(request.id),
  };
}

/** Client IP (proxy-aware per TRUST_PROXY), user agent and request id. */
export const ClientMeta = createParamDecorator((_: unknown, ctx: ExecutionContext): ClientInfo =>
  clientInfoOf(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
