import { createHash } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AuditService } from '../audit/audit.service';
import { AppError } from '../common/app-error';
import type { ClientInfo, Principal } from '../common/decorators';
import { LockoutService } from '../credentials/lockout.service';
import { PasswordService } from '../credentials/password.service';
import { DeviceTokensService } from '../devices/device-tokens.service';
import { EmailTokensService } from '../email-tokens/email-tokens.service';
import { SessionsService } from '../sessions/sessions.service';
import { KvStore } from '../store/kv-store';
import { UserEntity } from '../users/user.entity';
import { toPublicUser } from '../users/user.serializer';
import { UsersService } from '../users/users.service';
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

type ResetOutcome = 'mail_queued' | 'unknown_email' | 'inactive_user' | 'too_soon';

/** Password reset, email verification and email change: the flows behind the mailed links. */
@Injectable()
export class AccountRecoveryService {
  constructor(
    private readonly users: UsersService,
    private readonly emailTokens: EmailTokensService,
    private readonly passwords: PasswordService,
    private readonly lockout: LockoutService,
    private readonly sessions: SessionsService,
    private readonly devices: DeviceTokensService,
    private readonly audit: AuditService,
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
    const outcome: ResetOutcome = send
      ? 'mail_queued'
      : !user
        ? 'unknown_email'
        : !active
          ? 'inactive_user'
          : 'too_soon';
    try {
      await this.queueReset(email, send ? user : null, outcome, client);
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
    const email = await this.applyReset(dto.token, passwordHash, client);
    await this.lockout.clear(email);
    this.emailTokens.deliverSoon();
  }

  /**
   * A verification token proves the address it was mailed to; an email-change token
   * switches the account to its new address.
   */
  @Transactional()
  async verifyEmail(rawToken: string, client: ClientInfo) {
    const token = await this.emailTokens.consume(rawToken, ['verify_email', 'email_change']);
    if (!token) throw invalidLink();
    let user: UserEntity;
    if (token.kind === 'verify_email') {
      if (token.email !== token.currentEmail) throw invalidLink();
      user = await this.users.markEmailVerified(token.userId);
      await this.audit.record({
        userId: token.userId,
        action: 'EMAIL_VERIFIED',
        resource: 'user',
        client,
      });
    } else {
      user = await this.users.switchEmail(token.userId, token.newEmail!);
      // Links mailed to the old address (a reset, a verification) must not outlive it.
      await this.emailTokens.revokeOutstanding(token.userId);
      await this.audit.record({
        userId: token.userId,
        action: 'EMAIL_CHANGED',
        resource: 'user',
        details: { old_email: token.currentEmail, new_email: user.email },
        client,
      });
    }
    return toPublicUser(user);
  }

  async resendVerification(principal: Principal) {
    const user = await this.users.findById(principal.userId);
    if (!user) throw AppError.unauthorized();
    if (user.emailVerified) throw AppError.conflict('Email already verified');
    if (await this.claimMailSlot('verify_email', user.email)) {
      await this.emailTokens.queueVerification(user);
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
    await this.queueEmailChange(user, dto.new_email, client);
    this.emailTokens.deliverSoon();
    return { message: 'A confirmation link has been sent to the new address' };
  }

  @Transactional()
  private async queueReset(
    email: string,
    recipient: UserEntity | null,
    outcome: ResetOutcome,
    client: ClientInfo,
  ) {
    await this.emailTokens.queuePasswordReset(email, recipient);
    await this.audit.record({
      userId: recipient?.id ?? null,
      action: 'PASSWORD_RESET_REQUESTED',
      resource: 'auth',
      details: { email, outcome },
      client,
    });
  }

  /** Returns the account's email (for the lockout); throws INVALID_TOKEN for a bad token. */
  @Transactional()
  private async applyReset(rawToken: string, passwordHash: string, client: ClientInfo) {
    const token = await this.emailTokens.consume(rawToken, ['password_reset']);
    if (!token) throw invalidLink();
    await this.users.setPasswordHash(token.userId, passwordHash);
    if (token.email === token.currentEmail) await this.users.markEmailVerified(token.userId);
    await this.emailTokens.queuePasswordChanged(token.currentEmail);
    // A known device must not keep skipping the email's lockout after the password changed.
    const revokedDevices = await this.devices.revokeAllForUser(token.userId);
    // The revocation's audit row is the reset's: PASSWORD_RESET with revoked_sessions.
    await this.sessions.revoke({
      userId: token.userId,
      scope: 'all',
      reason: 'PASSWORD_RESET',
      resource: 'user',
      details: { revoked_devices: revokedDevices },
      client,
    });
    return token.currentEmail;
  }

  @Transactional()
  private async queueEmailChange(user: UserEntity, newEmail: string, client: ClientInfo) {
    await this.emailTokens.queueEmailChange(user, newEmail);
    await this.audit.record({
      userId: user.id,
      action: 'EMAIL_CHANGE_REQUESTED',
      resource: 'user',
      details: { new_email: newEmail },
      client,
    });
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
