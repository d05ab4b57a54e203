import { createHash } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { LockoutService } from '../auth/lockout.service';
import { PasswordService } from '../auth/password.service';
import { AppError } from '../common/app-error';
import type { ClientInfo, Principal } from '../common/decorators';
import { EmailTokensService } from '../email-tokens/email-tokens.service';
import { MetricsService } from '../metrics/metrics.service';
import { RevocationService } from '../sessions/revocation.service';
import { SessionsRepository } from '../sessions/sessions.repository';
import { KvStore } from '../store/kv-store';
import { toPublicUser } from '../users/user.serializer';
import { isUniqueViolation, UsersRepository } from '../users/users.repository';
import { ChangeEmailDto, ResetPasswordDto } from './dto/account-recovery.dto';

/** At most one mail of a kind per address in this many seconds. */
const MAIL_INTERVAL_SECONDS = 60;

export const FORGOT_PASSWORD_MESSAGE =
  'If that email is registered, a password reset link has been sent';

const invalidLink = () =>
  new AppError(
    HttpStatus.BAD_REQUEST,
    'INVALID_TOKEN',
    'The link is invalid, has expired or was already used',
  );

/** Password reset, email verification and email change: the flows behind the mailed links. */
@Injectable()
export class AccountRecoveryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly emailTokens: EmailTokensService,
    private readonly passwords: PasswordService,
    private readonly lockout: LockoutService,
    private readonly sessions: SessionsRepository,
    private readonly revocations: RevocationService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly store: KvStore,
  ) {}

  /**
   * Same statements, status and body for a registered, unknown or inactive address: only
   * what the statements write differs. A mail goes out to an active account at most once
   * per address per minute; a request inside that minute issues nothing.
   */
  async forgotPassword(email: string, client: ClientInfo) {
    const user = await this.users.findByEmail(email);
    const firstInInterval = await this.claimMailSlot('password_reset', email);
    const active = !!user && user.isActive !== false;
    const send = active && firstInInterval;
    const outcome = send
      ? 'mail_queued'
      : !user
        ? 'unknown_email'
        : !active
          ? 'inactive_user'
          : 'too_soon';
    try {
      await this.dataSource.transaction(async (manager) => {
        await this.emailTokens.queuePasswordReset(manager, email, send ? user : null);
        await this.audit.record(manager, {
          userId: user?.id ?? null,
          action: 'PASSWORD_RESET_REQUESTED',
          resource: 'auth',
          details: { email, outcome },
          client,
        });
      });
    } catch (err) {
      if (firstInInterval) await this.releaseMailSlot('password_reset', email);
      throw err;
    }
    this.emailTokens.deliverSoon();
    return { message: FORGOT_PASSWORD_MESSAGE };
  }

  /**
   * The policy was checked by validation before the token is touched, so a weak password
   * leaves it usable. Success: new password, every session revoked, lockout cleared,
   * address verified (if it is still the one mailed), a "password changed" mail.
   */
  async resetPassword(dto: ResetPasswordDto, client: ClientInfo) {
    const passwordHash = await this.passwords.hash(dto.new_password);
    const outcome = await this.dataSource.transaction(async (manager) => {
      const token = await this.emailTokens.consume(manager, dto.token, ['password_reset']);
      if (!token) return null;
      const proven = token.email === token.currentEmail;
      await this.users.update(manager, token.userId, {
        passwordHash,
        ...(proven ? { emailVerified: true } : {}),
      });
      const revoked = await this.sessions.revoke(manager, { userId: token.userId });
      await this.emailTokens.queuePasswordChanged(manager, token.currentEmail);
      await this.audit.record(manager, {
        userId: token.userId,
        action: 'PASSWORD_RESET',
        resource: 'user',
        details: { revoked_sessions: revoked.length },
        client,
      });
      return { email: token.currentEmail, revoked };
    });
    if (!outcome) throw invalidLink();
    await this.revocations.revokeSessions(outcome.revoked);
    this.metrics.sessionsRevoked(outcome.revoked.length, 'PASSWORD_RESET');
    await this.lockout.clear(outcome.email);
    this.emailTokens.deliverSoon();
  }

  /** A verification token proves the address it was mailed to; an email-change token switches to its new address. */
  async verifyEmail(rawToken: string, client: ClientInfo) {
    const user = await this.dataSource.transaction(async (manager) => {
      const token = await this.emailTokens.consume(manager, rawToken, [
        'verify_email',
        'email_change',
      ]);
      if (!token) throw invalidLink();
      if (token.kind === 'verify_email') {
        if (token.email !== token.currentEmail) throw invalidLink();
        const verified = await this.users.update(manager, token.userId, { emailVerified: true });
        await this.audit.record(manager, {
          userId: token.userId,
          action: 'EMAIL_VERIFIED',
          resource: 'user',
          client,
        });
        return verified;
      }
      const changed = await this.switchEmail(manager, token.userId, token.newEmail!);
      await this.emailTokens.revokeOutstanding(manager, token.userId);
      await this.audit.record(manager, {
        userId: token.userId,
        action: 'EMAIL_CHANGED',
        resource: 'user',
        details: { old_email: token.currentEmail, new_email: changed.email },
        client,
      });
      return changed;
    });
    return toPublicUser(user);
  }

  async resendVerification(principal: Principal) {
    const user = await this.users.findById(principal.userId);
    if (!user) throw AppError.unauthorized();
    if (user.emailVerified) throw AppError.conflict('Email already verified');
    if (await this.claimMailSlot('verify_email', user.email)) {
      await this.dataSource.transaction((manager) =>
        this.emailTokens.queueVerification(manager, user),
      );
      this.emailTokens.deliverSoon();
    }
    return { message: 'A new verification link has been sent' };
  }

  async requestEmailChange(principal: Principal, dto: ChangeEmailDto, client: ClientInfo) {
    const user = await this.users.findById(principal.userId);
    if (!user || !(await this.passwords.verify(dto.password, user.passwordHash))) {
      throw AppError.invalidCredentials();
    }
    if (dto.new_email === user.email) {
      throw AppError.validation([
        { field: 'new_email', message: 'new_email must differ from the current email' },
      ]);
    }
    if (await this.users.findByEmail(dto.new_email)) {
      throw AppError.conflict('Email already registered');
    }
    await this.dataSource.transaction(async (manager) => {
      await this.emailTokens.queueEmailChange(manager, user, dto.new_email);
      await this.audit.record(manager, {
        userId: user.id,
        action: 'EMAIL_CHANGE_REQUESTED',
        resource: 'user',
        details: { new_email: dto.new_email },
        client,
      });
    });
    this.emailTokens.deliverSoon();
    return { message: 'A confirmation link has been sent to the new address' };
  }

  private async switchEmail(manager: EntityManager, userId: string, email: string) {
    try {
      return await this.users.update(manager, userId, { email, emailVerified: true });
    } catch (err) {
      if (isUniqueViolation(err)) throw AppError.conflict('Email already registered');
      throw err;
    }
  }

  /** True for the first call per kind and address in MAIL_INTERVAL_SECONDS (shared by replicas). */
  private claimMailSlot(kind: string, email: string): Promise<boolean> {
    return this.store.setIfAbsent(mailSlotKey(kind, email), '1', MAIL_INTERVAL_SECONDS);
  }

  private releaseMailSlot(kind: string, email: string): Promise<void> {
    return this.store.del(mailSlotKey(kind, email));
  }
}

/** The store key that holds an address's one-mail-per-minute slot. */
export const mailSlotKey = (kind: string, email: string) =>
  `mail:${kind}:${createHash('sha256').update(email).digest('hex').slice(0, 32)}`;
