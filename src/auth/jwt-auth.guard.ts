import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../common/app-error';
import { IS_PUBLIC, Principal } from '../common/decorators';
import type { UserProfile } from '../users/user.entity';
import { AccessTokenVerifier } from './access-token.verifier';

export type AuthenticatedRequest = FastifyRequest & { user: Principal; currentUser: UserProfile };

/** `Authorization: Bearer <token>`, the scheme name in any case. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : null;
}

/** Global guard: every route needs a valid access token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw AppError.unauthorized();
    const authenticated = await this.verifier.authenticate(token);
    if (!authenticated) throw AppError.unauthorized('Invalid, expired or revoked access token');
    request.user = authenticated.principal;
    request.currentUser = authenticated.user;
    (request.raw as typeof request.raw & { user?: Principal }).user = authenticated.principal;
    return true;
  }
}
