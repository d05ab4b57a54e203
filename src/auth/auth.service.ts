import { randomUUID } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AppError } from '../common/app-error';
import { MetricsService } from '../metrics/metrics.service';
import type { ClientInfo, Principal } from '../common/decorators';
import { RevocationService } from '../sessions/revocation.service';
import { SessionsRepository } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';
import { UserEntity } from '../users/user.entity';
import { toPublicUser } from '../users/user.serializer';
import { UsersRepository } from '../users/users.repository';
import { ChangePasswordDto, LoginDto, RefreshDto, RegisterDto } from './dto/auth.dto';
import { LockoutService } from './lockout.service';
import { PasswordService } from './password.service';
import { hashToken, IssuedTokens, TokenService } from './token.service';

const accountLocked = () =>
  new AppError(
    HttpStatus.UNAUTHORIZED,
    'ACCOUNT_LOCKED',
    'Account temporarily locked after too many failed logins',
  );
const tokenReused = () =>
  new AppError(
    HttpStatus.UNAUTHORIZED,
    'TOKEN_REUSED',
    'Refresh token already used; the session has been revoked',
  );

@Injectable()
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly sessionsService: SessionsService,
    private readonly revocations: RevocationService,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly lockout: LockoutService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
  ) {}

  async register(dto: RegisterDto, client: ClientInfo) {
    const passwordHash = await this.passwords.hash(dto.password);
    const { user, tokens } = await this.dataSource.transaction(async (manager) => {
      const created = await this.users.create(manager, {
        email: dto.email,
        passwordHash,
        firstName: dto.first_name ?? null,
        lastName: dto.last_name ?? null,
        phoneNumber: dto.phone_number ?? null,
      });
      const issued = await this.startSession(manager, created, client);
      await this.audit.record(manager, {
        userId: created.id,
        action: 'USER_REGISTERED',
        resource: 'user',
        client,
      });
      return { user: created, tokens: issued };
    });
    return { message: 'User registered successfully', user: toPublicUser(user), tokens };
  }

  async login(dto: LoginDto, client: ClientInfo) {
    const verdict = await this.lockout.reserveAttempt(dto.email);
    if (!verdict.allowed) {
      this.audit.recordDetached({
        userId: null,
        action: 'LOGIN_FAILED',
        resource: 'auth',
        details: { email: dto.email, reason: 'account_locked' },
        client,
      });
      this.metrics.loginAttempt('locked');
      throw accountLocked();
    }
    const candidate = await this.users.findByEmail(dto.email);
    const usable = candidate && candidate.isActive !== false ? candidate : null;
    const valid = await this.passwords.verify(dto.password, usable?.passwordHash ?? null);
    if (!valid || !usable) {
      await this.onFailedLogin(dto.email, verdict.attempt, candidate, client);
      this.metrics.loginAttempt('invalid_credentials');
      throw AppError.invalidCredentials();
    }
    await this.lockout.clear(dto.email);
    const rehash = this.passwords.needsRehash(usable.passwordHash)
      ? await this.passwords.hash(dto.password)
      : undefined;
    const { user, tokens } = await this.dataSource.transaction(async (manager) => {
      const updated = await this.users.recordLogin(manager, usable.id, rehash);
      const issued = await this.startSession(manager, updated, client);
      await this.audit.record(manager, {
        userId: updated.id,
        action: 'USER_LOGIN',
        resource: 'auth',
        details: rehash ? { password_rehashed: true } : undefined,
        client,
      });
      return { user: updated, tokens: issued };
    });
    this.metrics.loginAttempt('success');
    return { message: 'Login successful', user: toPublicUser(user), tokens };
  }

  /**
   * Rotates the session's refresh token. A validly signed refresh token that is not the
   * session's current one was already rotated: reuse, which revokes the whole session.
   */
  async refresh(dto: RefreshDto, client: ClientInfo): Promise<{ tokens: IssuedTokens }> {
    const { claims, kid } = await this.tokens.verifyRefresh(dto.refresh_token);
    if (kid && (await this.revocations.isSigningKeyRevoked(kid))) throw AppError.invalidToken();
    const next = await this.tokens.issueRefresh(claims.sub, claims.sid);
    const presentedHash = hashToken(dto.refresh_token);
    const outcome = await this.dataSource.transaction(async (manager) => {
      const rotated = await this.sessions.rotateIfCurrent(manager, {
        sessionId: claims.sid,
        userId: claims.sub,
        presentedHash,
        next,
      });
      if (rotated) {
        await this.audit.record(manager, {
          userId: claims.sub,
          action: 'TOKEN_REFRESHED',
          resource: 'session',
          details: { session_id: claims.sid },
          client,
        });
        return { kind: 'rotated' as const, role: rotated.role };
      }
      // Not rotated: find out why (the rare path).
      const session = await this.sessions.findForUpdate(manager, claims.sid);
      const live =
        session?.userId === claims.sub && session.isActive && session.expiresAt > new Date();
      if (!session || !live || session.refreshTokenHash === presentedHash) {
        return { kind: 'invalid' as const };
      }
      await this.sessions.revoke(manager, { id: session.id });
      await this.audit.record(manager, {
        userId: session.userId,
        action: 'TOKEN_REUSE_DETECTED',
        resource: 'session',
        details: { session_id: session.id },
        client,
      });
      return { kind: 'reused' as const, sessionId: session.id };
    });
    if (outcome.kind === 'reused') {
      this.metrics.tokenReuse();
      this.metrics.sessionsRevoked(1, 'TOKEN_REUSE_DETECTED');
      await this.revocations.revokeSessions([outcome.sessionId]);
      throw tokenReused();
    }
    if (outcome.kind === 'invalid') throw AppError.invalidToken();
    return {
      tokens: await this.tokens.withAccess(next.token, claims.sub, outcome.role, claims.sid),
    };
  }

  async logout(principal: Principal, client: ClientInfo) {
    await this.sessionsService.revoke({
      userId: principal.userId,
      sessionId: principal.sessionId,
      action: 'USER_LOGOUT',
      details: { session_id: principal.sessionId },
      client,
    });
  }

  async logoutAll(principal: Principal, client: ClientInfo) {
    await this.sessionsService.revoke({ userId: principal.userId, action: 'LOGOUT_ALL', client });
  }

  /** Verifies the current password; keeps the calling session, revokes every other one. */
  async changePassword(principal: Principal, dto: ChangePasswordDto, client: ClientInfo) {
    const user = await this.users.findById(principal.userId);
    if (!user || !(await this.passwords.verify(dto.current_password, user.passwordHash))) {
      throw AppError.invalidCredentials();
    }
    if (dto.new_password === dto.current_password) {
      throw AppError.validation([
        { field: 'new_password', message: 'new_password must differ from current_password' },
      ]);
    }
    const passwordHash = await this.passwords.hash(dto.new_password);
    const revoked = await this.dataSource.transaction(async (manager) => {
      await this.users.update(manager, user.id, { passwordHash });
      const ids = await this.sessions.revoke(manager, {
        userId: user.id,
        exceptId: principal.sessionId,
      });
      await this.audit.record(manager, {
        userId: user.id,
        action: 'PASSWORD_CHANGED',
        resource: 'user',
        details: { revoked_sessions: ids.length },
        client,
      });
      return ids;
    });
    await this.revocations.revokeSessions(revoked);
    this.metrics.sessionsRevoked(revoked.length, 'PASSWORD_CHANGED');
  }

  private async startSession(manager: EntityManager, user: UserEntity, client: ClientInfo) {
    const sessionId = randomUUID();
    const pair = await this.tokens.issue(user.id, user.role ?? 'user', sessionId);
    await this.sessions.create(manager, {
      id: sessionId,
      userId: user.id,
      jti: pair.refreshJti,
      refreshTokenHash: pair.refreshTokenHash,
      expiresAt: pair.refreshExpiresAt,
      ipAddress: client.ip || null,
      userAgent: client.userAgent,
    });
    return pair.tokens;
  }

  private async onFailedLogin(
    email: string,
    attempt: number,
    user: UserEntity | null,
    client: ClientInfo,
  ) {
    const locked = await this.lockout.recordFailure(email, attempt);
    const reason = !user
      ? 'unknown_email'
      : user.isActive === false
        ? 'inactive_user'
        : 'wrong_password';
    this.audit.recordDetached({
      userId: user?.id ?? null,
      action: 'LOGIN_FAILED',
      resource: 'auth',
      details: { email, reason, attempt },
      client,
    });
    if (locked) {
      this.metrics.lockout();
      this.audit.recordDetached({
        userId: user?.id ?? null,
        action: 'ACCOUNT_LOCKED',
        resource: 'auth',
        details: { email, attempts: attempt },
        client,
      });
    }
  }
}
