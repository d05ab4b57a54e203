import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppError } from '../common/app-error';
import { CLOCK_LEEWAY_SECONDS } from '../common/clock';
import type { Principal } from '../common/decorators';
import { AppConfig } from '../config/app-config';
import { SessionsService } from '../sessions/sessions.service';
import type { UserEntity } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AccessClaims, hasSessionClaims, isWellFormedJwt, signingKey } from './token.service';

const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

export type AuthenticatedRequest = FastifyRequest & { user: Principal; currentUser: UserEntity };

/**
 * Access tokens: signature, pinned algorithm, issuer, audience and expiry by passport-jwt;
 * then the claims, the shared revocation list and the user's current state on every request
 * (a deactivated user or a changed role takes effect on the very next request).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
  ) {
    super({
      jwtFromRequest: (request: FastifyRequest) => {
        const token = bearerToken(request);
        return token && isWellFormedJwt(token) ? token : null;
      },
      secretOrKey: signingKey(config) as unknown as string,
      algorithms: [config.jwt.algorithm],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: CLOCK_LEEWAY_SECONDS },
      passReqToCallback: true,
    });
  }

  async validate(request: AuthenticatedRequest, payload: unknown): Promise<Principal> {
    if (!hasSessionClaims(payload, 'access')) throw AppError.unauthorized('Invalid access token');
    const claims = payload as AccessClaims;
    if (await this.sessions.isRevoked(claims.sid)) throw AppError.unauthorized('Token revoked');
    const user = await this.users.findActiveBySession(claims.sub, claims.sid);
    if (!user) throw AppError.unauthorized('Token revoked or user inactive');
    request.currentUser = user;
    const principal: Principal = {
      userId: user.id,
      role: user.role ?? 'user',
      sessionId: claims.sid,
      jti: claims.jti,
      exp: claims.exp,
    };
    (request.raw as typeof request.raw & { user?: Principal }).user = principal;
    return principal;
  }
}
