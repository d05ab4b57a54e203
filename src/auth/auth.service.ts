import { randomUUID } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { DeviceAttempt, DeviceTokensService } from '../devices/device-tokens.service';
import { MetricsService } from '../metrics/metrics.service';
import type { ClientInfo, Principal } from '../common/decorators';
import { RevocationService } from '../sessions/revocation.service';
import { SessionEntity } from '../sessions/session.entity';
import { SessionsRepository } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';
import { UserEntity } from '../users/user.entity';
import { toPublicUser } from '../users/user.serializer';
import { UsersRepository } from '../users/users.repository';
import { ChangePasswordDto, LoginDto, RefreshDto, RegisterDto } from './dto/auth.dto';
import { LockoutService } from './lockout.service';
import { PasswordService } from './password.service';
import { RefreshGraceService } from './refresh-grace.service';
import { hashToken, IssuedTokens, RefreshClaims, TokenService } from './token.service';

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

/** How long a refresh that lost the rotation race waits for the winner's pair to show up. */
const GRACE_WAIT_MS = 1000;
const GRACE_POLL_MS = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type LostRotation =
  | { kind: 'invalid' }
  | { kind: 'wait' }
  | { kind: 'replayed'; tokens: IssuedTokens }
  | { kind: 'reused'; sessionId: string };

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
    private readonly devices: DeviceTokensService,
    private readonly grace: RefreshGraceService,
    private readonly config: AppConfig,
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
   * The last step of every successful login (the password step, or a later second factor):
   * login count, a new session, a new device token (replacing `deviceId`, the one the login
   * came with), one audit row, all in one transaction.
   */
  async finishLogin(
    user: UserEntity,
    client: ClientInfo,
    options: { deviceId?: string; rehash?: string } = {},
  ) {
    const result = await this.dataSource.transaction(async (manager) => {
      const updated = await this.users.recordLogin(manager, user.id, options.rehash);
      const tokens = await this.startSession(manager, updated, client);
      const device = await this.devices.issue(manager, updated.id, options.deviceId);
      await this.audit.record(manager, {
        userId: updated.id,
        action: 'USER_LOGIN',
        resource: 'auth',
        details: {
          device_id: device.id,
          ...(options.deviceId ? { known_device_id: options.deviceId } : {}),
          ...(options.rehash ? { password_rehashed: true } : {}),
        },
        client,
      });
      return { user: updated, tokens, deviceToken: device.token };
    });
    this.metrics.loginAttempt('success');
    return {
      message: 'Login successful',
      user: toPublicUser(result.user),
      tokens: result.tokens,
      device_token: result.deviceToken,
    };
  }

  private async loginUnderLockout(dto: LoginDto, client: ClientInfo) {
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
    return this.finishLogin(usable, client, { rehash: await this.rehashIfNeeded(usable, dto) });
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
    return this.finishLogin(usable, client, {
      deviceId: device.id,
      rehash: await this.rehashIfNeeded(usable, dto),
    });
  }

  private async rehashIfNeeded(user: UserEntity, dto: LoginDto) {
    return this.passwords.needsRehash(user.passwordHash)
      ? await this.passwords.hash(dto.password)
      : undefined;
  }

  /**
   * Rotates the session's refresh token. A validly signed refresh token that is not the
   * session's current one was already rotated: within the grace window (and while its
   * successor is unused) it gets the successor pair again; otherwise it is a reuse, which
   * revokes the whole session.
   */
  async refresh(dto: RefreshDto, client: ClientInfo): Promise<{ tokens: IssuedTokens }> {
    const claims = this.tokens.verifyRefresh(dto.refresh_token);
    const tokens =
      (await this.rotate(dto.refresh_token, claims, client)) ??
      (await this.afterLostRotation(dto.refresh_token, claims, client));
    return { tokens };
  }

  /** The common path: one compare-and-swap UPDATE. Null when the token is not the current one. */
  private rotate(presented: string, claims: RefreshClaims, client: ClientInfo) {
    const next = this.tokens.issueRefresh(claims.sub, claims.sid);
    return this.dataSource.transaction(async (manager) => {
      const rotated = await this.sessions.rotateIfCurrent(manager, {
        sessionId: claims.sid,
        userId: claims.sub,
        presentedHash: hashToken(presented),
        next,
        maxLifetimeSeconds: this.config.sessions.maxLifetimeSeconds,
      });
      if (!rotated) return null;
      let refresh = next;
      if (rotated.expiresAt < next.refreshExpiresAt) {
        // The session ends before a full refresh TTL: the token must not outlive it.
        refresh = this.tokens.issueRefresh(claims.sub, claims.sid, rotated.expiresAt);
        await this.sessions.replaceRefreshToken(manager, claims.sid, refresh);
      }
      const tokens = this.tokens.withAccess(
        refresh.token,
        claims.sub,
        rotated.role,
        claims.sid,
        refresh.refreshExpiresAt,
      );
      await this.audit.record(manager, {
        userId: claims.sub,
        action: 'TOKEN_REFRESHED',
        resource: 'session',
        details: { session_id: claims.sid },
        client,
      });
      // Kept before the commit: refreshes racing on this token wait on the row and find the
      // pair as soon as they see the rotation.
      if (this.grace.enabled) await this.grace.keep(presented, tokens);
      return tokens;
    });
  }

  /**
   * The rare path: the token was not the session's current one. Either it is invalid, or it
   * was rotated — then the successor pair is replayed within the grace window, or the session
   * is revoked for reuse. A racer that finds no pair yet from a rotation that just happened
   * waits (without holding the row) up to GRACE_WAIT_MS before calling it a reuse.
   */
  private async afterLostRotation(
    presented: string,
    claims: RefreshClaims,
    client: ClientInfo,
  ): Promise<IssuedTokens> {
    const waitUntil = Date.now() + GRACE_WAIT_MS;
    for (;;) {
      const outcome = await this.dataSource.transaction((manager) =>
        this.judgeLostRotation(manager, presented, claims, client, Date.now() < waitUntil),
      );
      switch (outcome.kind) {
        case 'wait':
          await sleep(GRACE_POLL_MS);
          continue;
        case 'replayed':
          return outcome.tokens;
        case 'invalid':
          throw AppError.invalidToken();
        case 'reused':
          this.metrics.tokenReuse();
          this.metrics.sessionsRevoked(1, 'TOKEN_REUSE_DETECTED');
          await this.revocations.revokeSessions([outcome.sessionId]);
          throw tokenReused();
      }
    }
  }

  private async judgeLostRotation(
    manager: EntityManager,
    presented: string,
    claims: RefreshClaims,
    client: ClientInfo,
    mayWait: boolean,
  ): Promise<LostRotation> {
    const session = await this.sessions.findForUpdate(manager, claims.sid);
    if (!session || session.userId !== claims.sub || !this.isLive(session)) {
      return { kind: 'invalid' };
    }
    if (session.refreshTokenHash === hashToken(presented)) return { kind: 'invalid' };
    if (this.grace.enabled) {
      const successor = await this.grace.find(presented);
      if (successor && hashToken(successor.refresh_token) === session.refreshTokenHash) {
        await this.audit.record(manager, {
          userId: session.userId,
          action: 'TOKEN_REFRESHED',
          resource: 'session',
          details: { session_id: session.id, grace_replay: true },
          client,
        });
        return { kind: 'replayed', tokens: successor };
      }
      const rotatedJustNow =
        new Date(session.lastUsed).getTime() > Date.now() - (this.grace.windowSeconds + 1) * 1000;
      if (!successor && rotatedJustNow && mayWait) return { kind: 'wait' };
    }
    await this.sessions.revoke(manager, { id: session.id });
    await this.audit.record(manager, {
      userId: session.userId,
      action: 'TOKEN_REUSE_DETECTED',
      resource: 'session',
      details: { session_id: session.id },
      client,
    });
    return { kind: 'reused', sessionId: session.id };
  }

  /** Active, not expired, and within the absolute lifetime counted from its login. */
  private isLive(session: SessionEntity) {
    const now = Date.now();
    const endsAt =
      new Date(session.createdAt).getTime() + this.config.sessions.maxLifetimeSeconds * 1000;
    return session.isActive && new Date(session.expiresAt).getTime() > now && endsAt > now;
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

  /** Every session and every device token of the user. */
  async logoutAll(principal: Principal, client: ClientInfo) {
    const revokedDevices = await this.devices.revokeAllForUser(principal.userId);
    await this.sessionsService.revoke({
      userId: principal.userId,
      action: 'LOGOUT_ALL',
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
    const revoked = await this.dataSource.transaction(async (manager) => {
      await this.users.update(manager, user.id, { passwordHash });
      const ids = await this.sessions.revoke(manager, {
        userId: user.id,
        exceptId: principal.sessionId,
      });
      const revokedDevices = await this.devices.revokeAllForUser(user.id, manager);
      await this.audit.record(manager, {
        userId: user.id,
        action: 'PASSWORD_CHANGED',
        resource: 'user',
        details: { revoked_sessions: ids.length, revoked_devices: revokedDevices },
        client,
      });
      return ids;
    });
    await this.revocations.revokeSessions(revoked);
    this.metrics.sessionsRevoked(revoked.length, 'PASSWORD_CHANGED');
  }

  private async startSession(manager: EntityManager, user: UserEntity, client: ClientInfo) {
    const sessionId = randomUUID();
    // created_at is the start of the absolute lifetime, on the same clock as the tokens' exp.
    const createdAt = new Date();
    const endsAt = new Date(createdAt.getTime() + this.config.sessions.maxLifetimeSeconds * 1000);
    const pair = this.tokens.issue(user.id, user.role ?? 'user', sessionId, endsAt);
    await this.sessions.create(manager, {
      id: sessionId,
      createdAt,
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
