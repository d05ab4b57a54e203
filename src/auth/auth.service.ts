import { randomUUID } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AuditService } from '../audit/audit.service';
import { AppError } from '../common/app-error';
import type { ClientInfo, Principal } from '../common/decorators';
import { AppConfig } from '../config/app-config';
import { LockoutService } from '../credentials/lockout.service';
import { PasswordService } from '../credentials/password.service';
import { EmailTokensService } from '../email-tokens/email-tokens.service';
import { MetricsService } from '../metrics/metrics.service';
import { SessionsService } from '../sessions/sessions.service';
import { UserEntity } from '../users/user.entity';
import { toPublicUser } from '../users/user.serializer';
import { UsersService } from '../users/users.service';
import { ChangePasswordDto, LoginDto, RefreshDto, RegisterDto } from './dto/auth.dto';
import { hashToken, IssuedTokens, TokenService } from './token.service';

const accountLocked = () =>
  new AppError(
    HttpStatus.UNAUTHORIZED,
    'ACCOUNT_LOCKED',
    'Account temporarily locked after too many failed logins',
  );
const emailNotVerified = () =>
  new AppError(
    HttpStatus.FORBIDDEN,
    'EMAIL_NOT_VERIFIED',
    'Confirm your email address first: use the link in the verification mail',
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
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly lockout: LockoutService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly emailTokens: EmailTokensService,
    private readonly config: AppConfig,
  ) {}

  async register(dto: RegisterDto, client: ClientInfo) {
    const { user, result: tokens } = await this.users.create(
      {
        email: dto.email,
        password: dto.password,
        profile: {
          firstName: dto.first_name ?? null,
          lastName: dto.last_name ?? null,
          phoneNumber: dto.phone_number ?? null,
        },
        client,
      },
      async (created) => {
        await this.emailTokens.queueVerification(created);
        // Until the address is proven there is no session to hand out.
        return this.config.mail.requireVerification ? null : this.startSession(created, client);
      },
    );
    this.emailTokens.deliverSoon();
    return { message: 'User registered successfully', user: toPublicUser(user), tokens };
  }

  async login(dto: LoginDto, client: ClientInfo) {
    // The lookup comes first: an attempt is reserved only once the password check is sure
    // to run, so a database outage (503) never counts against the account.
    const candidate = await this.users.findByEmail(dto.email);
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
    const usable = candidate && candidate.isActive !== false ? candidate : null;
    const valid = await this.passwords.verify(dto.password, usable?.passwordHash ?? null);
    if (!valid || !usable) {
      await this.onFailedLogin(dto.email, verdict.attempt, candidate, client);
      this.metrics.loginAttempt('invalid_credentials');
      throw AppError.invalidCredentials();
    }
    await this.lockout.clear(dto.email);
    if (this.config.mail.requireVerification && !usable.emailVerified) {
      this.audit.recordDetached({
        userId: usable.id,
        action: 'LOGIN_FAILED',
        resource: 'auth',
        details: { email: dto.email, reason: 'email_not_verified' },
        client,
      });
      throw emailNotVerified();
    }
    const rehash = this.passwords.needsRehash(usable.passwordHash)
      ? await this.passwords.hash(dto.password)
      : undefined;
    const { user, tokens } = await this.completeLogin(usable.id, rehash, client);
    this.metrics.loginAttempt('success');
    return { message: 'Login successful', user: toPublicUser(user), tokens };
  }

  @Transactional()
  private async completeLogin(userId: string, rehash: string | undefined, client: ClientInfo) {
    const user = await this.users.recordLogin(userId, rehash);
    const tokens = await this.startSession(user, client);
    await this.audit.record({
      userId: user.id,
      action: 'USER_LOGIN',
      resource: 'auth',
      details: rehash ? { password_rehashed: true } : undefined,
      client,
    });
    return { user, tokens };
  }

  /** Rotates the session's refresh token; a token already rotated revokes the session. */
  async refresh(dto: RefreshDto, client: ClientInfo): Promise<{ tokens: IssuedTokens }> {
    const claims = this.tokens.verifyRefresh(dto.refresh_token);
    const next = this.tokens.issueRefresh(claims.sub, claims.sid);
    const outcome = await this.sessions.rotate(
      {
        sessionId: claims.sid,
        userId: claims.sub,
        presentedHash: hashToken(dto.refresh_token),
        next,
      },
      client,
    );
    if (outcome.kind === 'reused') throw tokenReused();
    if (outcome.kind === 'invalid') throw AppError.invalidToken();
    return { tokens: this.tokens.withAccess(next.token, claims.sub, outcome.role, claims.sid) };
  }

  async logout(principal: Principal, client: ClientInfo) {
    await this.sessions.revoke({
      userId: principal.userId,
      scope: 'session',
      sessionId: principal.sessionId,
      reason: 'USER_LOGOUT',
      details: { session_id: principal.sessionId },
      client,
    });
  }

  async logoutAll(principal: Principal, client: ClientInfo) {
    await this.sessions.revoke({
      userId: principal.userId,
      scope: 'all',
      reason: 'LOGOUT_ALL',
      client,
    });
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
    await this.replacePassword(user, passwordHash, principal.sessionId, client);
    this.emailTokens.deliverSoon();
  }

  @Transactional()
  private async replacePassword(
    user: UserEntity,
    passwordHash: string,
    keepSessionId: string,
    client: ClientInfo,
  ) {
    await this.users.setPasswordHash(user.id, passwordHash);
    await this.emailTokens.queuePasswordChanged(user.email);
    await this.sessions.revoke({
      userId: user.id,
      scope: 'all-but',
      sessionId: keepSessionId,
      reason: 'PASSWORD_CHANGED',
      resource: 'user',
      client,
    });
  }

  private async startSession(user: UserEntity, client: ClientInfo) {
    const sessionId = randomUUID();
    const pair = this.tokens.issue(user.id, user.role ?? 'user', sessionId);
    await this.sessions.start({
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
