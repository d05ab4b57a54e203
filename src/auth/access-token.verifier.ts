import { Injectable } from '@nestjs/common';
import type { Principal } from '../common/decorators';
import { SessionsService } from '../sessions/sessions.service';
import type { UserProfile } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AccessClaims, TokenService } from './token.service';

export interface Authenticated {
  principal: Principal;
  user: UserProfile;
  claims: AccessClaims;
}

/**
 * Everything that makes an access token good right now, for the JWT guard and introspection
 * alike: signature and claims (TokenService), then on every use the shared revocation list
 * (the session, and the signing key when it has a kid) and the user's current state (a
 * deactivated user or a changed role takes effect on the very next request).
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly tokens: TokenService,
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
  ) {}

  /** The token's principal, or null when it is not (or no longer) a valid access token. */
  async authenticate(token: string): Promise<Authenticated | null> {
    const verified = await this.tokens.verifyAccess(token);
    if (!verified) return null;
    const { claims, kid } = verified;
    if (await this.sessions.isRevoked(claims.sid, kid)) return null;
    const user = await this.users.findActiveBySession(claims.sub, claims.sid);
    if (!user) return null;
    const principal: Principal = {
      userId: user.id,
      role: user.role ?? 'user',
      sessionId: claims.sid,
      jti: claims.jti,
      exp: claims.exp,
    };
    return { principal, user, claims };
  }
}
