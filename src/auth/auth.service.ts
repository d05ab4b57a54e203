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
import { MfaVerifyDto } from '../mfa/dto/mfa.dto';
import { MfaChallengesService } from '../mfa/mfa-challenges.service';
import type { MfaMethod } from '../mfa/mfa.service';
import { ChangePasswordDto, LoginDto, RefreshDto, RegisterDto } from './dto/auth.dto';
import { LockoutService } from './lockout.service';
import { PasswordService } from './password.service';
import {
  amrFromColumn,
  amrToColumn,
  AuthMethod,
  hashToken,
  IssuedTokens,
  TokenService,
} from './token.service';

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
    private readonly mfaChallenges: MfaChallengesService,
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
      const issued = await this.startSession(manager, created, client, ['pwd']);
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
    const rehash = this.passwords.needsRehash(usable.passwordHash)
      ? await this.passwords.hash(dto.password)
      : undefined;
    if (usable.twoFactorEnabled) return this.requireSecondFactor(usable, rehash);
    return this.finishLogin(usable, client, { amr: ['pwd'], rehash });
  }

  /**
   * The login's second step: a TOTP or recovery code for the `mfa_token` of the password
   * step. Wrong codes count towards the email's lockout like wrong passwords.
   */
  async verifyMfa(dto: MfaVerifyDto, client: ClientInfo) {
    if (dto.code !== undefined && dto.recovery_code !== undefined) {
      throw AppError.validation([
        { field: 'recovery_code', message: 'send either code or recovery_code, not both' },
      ]);
    }
    const user = await this.users.findById(await this.mfaChallenges.userOf(dto.mfa_token));
    if (!user || user.isActive === false) throw AppError.invalidToken('Invalid mfa_token');
    const verdict = await this.lockout.reserveAttempt(user.email);
    if (!verdict.allowed) {
      this.audit.recordDetached({
        userId: user.id,
        action: 'MFA_FAILED',
        resource: 'auth',
        details: { reason: 'account_locked' },
        client,
      });
      this.metrics.loginAttempt('locked');
      throw accountLocked();
    }
    const proof = { code: dto.code, recoveryCode: dto.recovery_code };
    const outcome = await this.mfaChallenges.redeem(dto.mfa_token, proof, client);
    if (!outcome.ok) {
      const locked = await this.lockout.recordFailure(user.email, verdict.attempt);
      this.audit.recordDetached({
        userId: user.id,
        action: 'MFA_FAILED',
        resource: 'auth',
        details: {
          reason: 'invalid_code',
          method: dto.code !== undefined ? 'totp' : 'recovery_code',
          attempt: verdict.attempt,
          challenge_failures: outcome.failures,
        },
        client,
      });
      if (locked) this.onLocked(user.email, verdict.attempt, user, client);
      this.metrics.loginAttempt('invalid_credentials');
      throw AppError.invalidMfaCode(HttpStatus.UNAUTHORIZED);
    }
    return this.finishLogin(user, client, { amr: ['pwd', 'otp'], mfaMethod: outcome.method });
  }

  /**
   * The end of every successful login (password alone, or after the second step): clears
   * the email's lockout, counts the login, starts the session, writes USER_LOGIN.
   */
  async finishLogin(
    user: UserEntity,
    client: ClientInfo,
    how: { amr: AuthMethod[]; rehash?: string; mfaMethod?: MfaMethod },
  ) {
    await this.lockout.clear(user.email);
    const result = await this.dataSource.transaction(async (manager) => {
      const updated = await this.users.recordLogin(manager, user.id, how.rehash);
      const issued = await this.startSession(manager, updated, client, how.amr);
      await this.audit.record(manager, {
        userId: updated.id,
        action: 'USER_LOGIN',
        resource: 'auth',
        details: {
          amr: how.amr,
          ...(how.mfaMethod ? { mfa_method: how.mfaMethod } : {}),
          ...(how.rehash ? { password_rehashed: true } : {}),
        },
        client,
      });
      return { user: updated, tokens: issued };
    });
    this.metrics.loginAttempt('success');
    return { message: 'Login successful', user: toPublicUser(result.user), tokens: result.tokens };
  }

  /**
   * Right password, MFA on: no session yet, and the email's failure count is left as it is
   * (only a finished login clears it), so wrong codes add up towards the lockout.
   */
  private async requireSecondFactor(user: UserEntity, rehash: string | undefined) {
    if (rehash)
      await this.dataSource.transaction((m) =>
        this.users.update(m, user.id, { passwordHash: rehash }),
      );
    this.metrics.loginAttempt('mfa_required');
    return this.mfaChallenges.issue(user.id);
  }

  /**
   * Rotates the session's refresh token. A validly signed refresh token that is not the
   * session's current one was already rotated: reuse, which revokes the whole session.
   */
  async refresh(dto: RefreshDto, client: ClientInfo): Promise<{ tokens: IssuedTokens }> {
    const claims = this.tokens.verifyRefresh(dto.refresh_token);
    const next = this.tokens.issueRefresh(claims.sub, claims.sid);
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
        return { kind: 'rotated' as const, role: rotated.role, amr: amrFromColumn(rotated.amr) };
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
      tokens: this.tokens.withAccess(next.token, claims.sub, outcome.role, claims.sid, outcome.amr),
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

  private async startSession(
    manager: EntityManager,
    user: UserEntity,
    client: ClientInfo,
    amr: AuthMethod[],
  ) {
    const sessionId = randomUUID();
    const pair = this.tokens.issue(user.id, user.role ?? 'user', sessionId, amr);
    await this.sessions.create(manager, {
      id: sessionId,
      userId: user.id,
      jti: pair.refreshJti,
      refreshTokenHash: pair.refreshTokenHash,
      expiresAt: pair.refreshExpiresAt,
      ipAddress: client.ip || null,
      userAgent: client.userAgent,
      amr: amrToColumn(amr),
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
    if (locked) this.onLocked(email, attempt, user, client);
  }

  private onLocked(email: string, attempt: number, user: UserEntity | null, client: ClientInfo) {
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
