import { randomUUID } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AuditService } from '../audit/audit.service';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import type { ClientInfo, Principal } from '../common/decorators';
import { AppConfig } from '../config/app-config';
import { LockoutService } from '../credentials/lockout.service';
import { PasswordService } from '../credentials/password.service';
import { DeviceAttempt, DeviceTokensService } from '../devices/device-tokens.service';
import { EmailTokensService } from '../email-tokens/email-tokens.service';
import { MetricsService } from '../metrics/metrics.service';
import { RotationTarget, SessionsService } from '../sessions/sessions.service';
import { UserEntity } from '../users/user.entity';
import { toPublicUser } from '../users/user.serializer';
import { UsersService } from '../users/users.service';
import { MfaVerifyDto } from '../mfa/dto/mfa.dto';
import { MfaChallengesService } from '../mfa/mfa-challenges.service';
import type { MfaMethod } from '../mfa/mfa.service';
import { ChangePasswordDto, LoginDto, RefreshDto, RegisterDto } from './dto/auth.dto';
import { RefreshGraceService } from './refresh-grace.service';
import {
  amrFromColumn,
  AuthMethod,
  amrToColumn,
  hashToken,
  IssuedTokens,
  RefreshClaims,
  TokenService,
} from './token.service';

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

/**
 * What a refresh first mints for: the most common session (role `user`, a password login, a
 * full refresh TTL). The rotation checks all of it and mints again for anything else (an
 * admin, a second factor, a session ending sooner), one more round trip for those sessions;
 * refresh tokens carry only the contract's claims, and guessing from their expiry would go
 * wrong when REFRESH_TOKEN_TTL_SECONDS changes.
 */
const EXPECTED_SESSION: RotationTarget = { role: 'user', amr: amrToColumn(['pwd']) };

/** How a login was proven: methods (RFC 8176), the trusted device it came with, a new hash. */
export interface LoginProof {
  amr: AuthMethod[];
  deviceId?: string;
  rehash?: string;
  mfaMethod?: MfaMethod;
}

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
    private readonly devices: DeviceTokensService,
    private readonly grace: RefreshGraceService,
    private readonly mfaChallenges: MfaChallengesService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
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
        return this.config.mail.requireVerification
          ? null
          : this.startSession(created, client, ['pwd']);
      },
    );
    this.emailTokens.deliverSoon();
    return { message: 'User registered successfully', user: toPublicUser(user), tokens };
  }

  /**
   * A login that carries a live device token of this user is judged by that device's own
   * failure count; any other login by the email's lockout.
   */
  async login(dto: LoginDto, client: ClientInfo) {
    const device = await this.devices.reserveAttempt(dto.device_token, dto.email);
    return device
      ? this.loginFromKnownDevice(dto, device, client)
      : this.loginUnderLockout(dto, client);
  }

  /**
   * The last step of every successful login (the password step, or the second factor after
   * it): login count, a new session carrying `amr`, a new device token (replacing
   * `deviceId`, the trusted device the login came with), one audit row, in one transaction.
   * The email's lockout count is cleared only for a login judged by it: one from a known
   * device neither counted there nor clears it.
   */
  async finishLogin(user: UserEntity, client: ClientInfo, how: LoginProof) {
    if (!how.deviceId) await this.lockout.clear(user.email);
    const result = await this.completeLogin(user.id, client, how);
    this.metrics.loginAttempt('success');
    return {
      message: 'Login successful',
      user: toPublicUser(result.user),
      tokens: result.tokens,
      device_token: result.deviceToken,
    };
  }

  @Transactional()
  private async completeLogin(userId: string, client: ClientInfo, how: LoginProof) {
    const user = await this.users.recordLogin(userId, how.rehash);
    const tokens = await this.startSession(user, client, how.amr);
    const device = await this.devices.issue(user.id, how.deviceId);
    await this.audit.record({
      userId: user.id,
      action: 'USER_LOGIN',
      resource: 'auth',
      details: {
        amr: how.amr,
        device_id: device.id,
        ...(how.deviceId ? { known_device_id: how.deviceId } : {}),
        ...(how.mfaMethod ? { mfa_method: how.mfaMethod } : {}),
        ...(how.rehash ? { password_rehashed: true } : {}),
      },
      client,
    });
    return { user, tokens, deviceToken: device.token };
  }

  private async loginUnderLockout(dto: LoginDto, client: ClientInfo) {
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
    return this.passwordVerified(usable, dto, client);
  }

  /**
   * After the right password: with two-factor authentication on, the challenge for the
   * second step (carrying the trusted device, if the login came with one); else the login.
   */
  private async passwordVerified(
    user: UserEntity,
    dto: LoginDto,
    client: ClientInfo,
    deviceId?: string,
  ) {
    this.assertEmailVerified(user, dto.email, client);
    const rehash = await this.rehashIfNeeded(user, dto);
    if (user.twoFactorEnabled) return this.requireSecondFactor(user, rehash, deviceId);
    return this.finishLogin(user, client, { amr: ['pwd'], deviceId, rehash });
  }

  /** With MAIL_REQUIRE_VERIFICATION, no session before the address is proven. */
  private assertEmailVerified(user: UserEntity, email: string, client: ClientInfo) {
    if (!this.config.mail.requireVerification || user.emailVerified) return;
    this.audit.recordDetached({
      userId: user.id,
      action: 'LOGIN_FAILED',
      resource: 'auth',
      details: { email, reason: 'email_not_verified' },
      client,
    });
    throw emailNotVerified();
  }

  /** Neither blocked by nor counted in the email's lockout; leaves its lock and count alone. */
  private async loginFromKnownDevice(dto: LoginDto, device: DeviceAttempt, client: ClientInfo) {
    const candidate = await this.users.findById(device.userId);
    const usable = candidate && candidate.isActive !== false ? candidate : null;
    const valid = await this.passwords.verify(dto.password, usable?.passwordHash ?? null);
    if (!valid || !usable) {
      const revoked = await this.devices.recordFailure(device);
      this.audit.recordDetached({
        userId: device.userId,
        action: 'LOGIN_FAILED',
        resource: 'auth',
        details: {
          email: dto.email,
          reason: usable ? 'wrong_password' : 'inactive_user',
          device_id: device.id,
          device_attempt: device.attempt,
          ...(revoked ? { device_revoked: true } : {}),
        },
        client,
      });
      this.metrics.loginAttempt('invalid_credentials');
      throw AppError.invalidCredentials();
    }
    return this.passwordVerified(usable, dto, client, device.id);
  }

  private async rehashIfNeeded(user: UserEntity, dto: LoginDto) {
    return this.passwords.needsRehash(user.passwordHash)
      ? await this.passwords.hash(dto.password)
      : undefined;
  }

  /**
   * The login's second step: a TOTP or recovery code for the `mfa_token` of the password
   * step. Wrong codes count where the password step was judged: against the trusted device
   * it came with, while that token is live, else towards the email's lockout.
   */
  async verifyMfa(dto: MfaVerifyDto, client: ClientInfo) {
    if (dto.code !== undefined && dto.recovery_code !== undefined) {
      throw AppError.validation([
        { field: 'recovery_code', message: 'send either code or recovery_code, not both' },
      ]);
    }
    const challenge = await this.mfaChallenges.find(dto.mfa_token);
    const user = await this.users.findById(challenge.userId);
    if (!user || user.isActive === false) throw AppError.invalidToken('Invalid mfa_token');
    const device = challenge.deviceId
      ? await this.devices.reserveAttemptById(challenge.deviceId, user.id)
      : null;
    const verdict = device ? null : await this.lockout.reserveAttempt(user.email);
    if (verdict && !verdict.allowed) {
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
      const locked = verdict
        ? await this.lockout.recordFailure(user.email, verdict.attempt)
        : false;
      const deviceRevoked = device ? await this.devices.recordFailure(device) : false;
      this.audit.recordDetached({
        userId: user.id,
        action: 'MFA_FAILED',
        resource: 'auth',
        details: {
          reason: 'invalid_code',
          method: dto.code !== undefined ? 'totp' : 'recovery_code',
          ...(verdict ? { attempt: verdict.attempt } : {}),
          ...(device ? { device_id: device.id, device_attempt: device.attempt } : {}),
          ...(deviceRevoked ? { device_revoked: true } : {}),
          challenge_failures: outcome.failures,
        },
        client,
      });
      if (verdict && locked) this.onLocked(user.email, verdict.attempt, user, client);
      this.metrics.loginAttempt('invalid_credentials');
      throw AppError.invalidMfaCode(HttpStatus.UNAUTHORIZED);
    }
    return this.finishLogin(user, client, {
      amr: ['pwd', 'otp'],
      deviceId: device?.id,
      mfaMethod: outcome.method,
    });
  }

  /**
   * Right password, MFA on: no session yet, and the email's failure count is left as it is
   * (only a finished login clears it), so wrong codes add up towards the lockout.
   */
  private async requireSecondFactor(
    user: UserEntity,
    rehash: string | undefined,
    deviceId: string | undefined,
  ) {
    if (rehash) await this.users.setPasswordHash(user.id, rehash);
    this.metrics.loginAttempt('mfa_required');
    return this.mfaChallenges.issue(user.id, deviceId ?? null);
  }

  /**
   * Rotates the session's refresh token. A validly signed refresh token that is not the
   * session's current one was already rotated: within the grace window, and while its
   * successor is unused, it gets the successor pair again; otherwise it is a reuse, which
   * revokes the whole session.
   */
  async refresh(dto: RefreshDto, client: ClientInfo): Promise<{ tokens: IssuedTokens }> {
    const presented = dto.refresh_token;
    const { claims, kid } = await this.tokens.verifyRefresh(presented);
    if (kid && (await this.sessions.isSigningKeyRevoked(kid))) throw AppError.invalidToken();
    const outcome = await this.sessions.rotate(
      {
        sessionId: claims.sid,
        userId: claims.sub,
        presentedHash: hashToken(presented),
        expected: EXPECTED_SESSION,
        mint: async (target) => {
          const pair = await this.tokens.issue(
            claims.sub,
            target.role,
            claims.sid,
            amrFromColumn(target.amr),
            target.notAfter,
          );
          const gracePair = this.grace.enabled ? this.grace.seal(presented, pair.tokens) : null;
          return { ...pair, gracePair };
        },
      },
      client,
    );
    if (outcome.kind === 'rotated') return { tokens: outcome.minted.tokens };
    if (outcome.kind === 'invalid') throw AppError.invalidToken();
    const replayed = await this.replayOrRevoke(presented, claims, client);
    if (replayed) return { tokens: replayed };
    throw tokenReused();
  }

  /**
   * A superseded token: within the grace window, the pair its rotation sealed for it, while
   * that pair's refresh token is still the session's current one; otherwise the session is
   * revoked for reuse (null).
   */
  @Transactional()
  private async replayOrRevoke(
    presented: string,
    claims: RefreshClaims,
    client: ClientInfo,
  ): Promise<IssuedTokens | null> {
    const session = await this.sessions.lockSuperseded(
      { sessionId: claims.sid, userId: claims.sub },
      hashToken(presented),
    );
    if (!session) throw AppError.invalidToken();
    if (this.grace.enabled && session.withinGrace) {
      const successor = this.grace.open(presented, session.gracePair);
      if (successor && hashToken(successor.refresh_token) === session.currentHash) {
        await this.sessions.recordReplay(session, client);
        return successor;
      }
    }
    await this.sessions.revokeForReuse(session, client);
    return null;
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

  /** Every session and every device token of the user. */
  @Transactional()
  async logoutAll(principal: Principal, client: ClientInfo) {
    const revokedDevices = await this.devices.revokeAllForUser(principal.userId);
    await this.sessions.revoke({
      userId: principal.userId,
      scope: 'all',
      reason: 'LOGOUT_ALL',
      details: { revoked_devices: revokedDevices },
      client,
    });
  }

  /**
   * Verifies the current password; keeps the calling session, revokes every other one and
   * every device token (the next login from any device counts against the email again).
   */
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
    const revokedDevices = await this.devices.revokeAllForUser(user.id);
    await this.sessions.revoke({
      userId: user.id,
      scope: 'all-but',
      sessionId: keepSessionId,
      reason: 'PASSWORD_CHANGED',
      resource: 'user',
      details: { revoked_devices: revokedDevices },
      client,
    });
  }

  private async startSession(user: UserEntity, client: ClientInfo, amr: AuthMethod[]) {
    const sessionId = randomUUID();
    // created_at starts the absolute lifetime, on the same clock as the tokens' exp.
    const createdAt = this.clock.now();
    const endsAt = new Date(createdAt.getTime() + this.config.sessions.maxLifetimeSeconds * 1000);
    const pair = await this.tokens.issue(user.id, user.role ?? 'user', sessionId, amr, endsAt);
    await this.sessions.start({
      id: sessionId,
      createdAt,
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
