import { HttpStatus, Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import * as QRCode from 'qrcode';
import { AuditService } from '../audit/audit.service';
import { PasswordService } from '../credentials/password.service';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import type { ClientInfo, Principal } from '../common/decorators';
import { AppConfig } from '../config/app-config';
import { SecretBox } from '../crypto/secret-box';
import { SessionsService } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';
import { MfaCredentialsRepository } from './mfa-credentials.repository';
import { generateRecoveryCodes, hashRecoveryCode } from './recovery-codes';
import { generateTotpSecret, matchingStep, otpauthUrl, TOTP_CODE } from './totp';

/** A second factor as presented: a TOTP code or a recovery code. */
export interface MfaProof {
  code?: string;
  recoveryCode?: string;
}

export type MfaMethod = 'totp' | 'recovery_code';

const totpSecretContext = (userId: string) => `totp-secret:${userId}`;

const notEnabled = () => AppError.conflict('Two-factor authentication is not enabled');
const wrongCode = () => AppError.invalidMfaCode(HttpStatus.BAD_REQUEST);

/**
 * TOTP enrolment and the checks of a second factor. A code is accepted at most once: the
 * accepted time step is stored and later codes must be of a later step (RFC 6238 §5.2).
 */
@Injectable()
export class MfaService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly credentials: MfaCredentialsRepository,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Finishes a key rotation: every TOTP secret not sealed with the current key is opened
   * (with a previous key) and sealed again. A row changed meanwhile is left alone (its new
   * value already uses the current key). Returns how many rows it re-encrypted.
   */
  async resealSecrets(): Promise<number> {
    let changed = 0;
    for (const row of await this.credentials.listSealedSecrets()) {
      if (this.box.isCurrent(row.secret_encrypted)) continue;
      const context = totpSecretContext(row.user_id);
      const resealed = this.box.seal(this.box.open(row.secret_encrypted, context), context);
      if (await this.credentials.replaceSealedSecret(row.user_id, row.secret_encrypted, resealed))
        changed++;
    }
    return changed;
  }

  /** A new pending secret (replacing any pending one); 409 once MFA is enabled. */
  async setup(userId: string) {
    const secret = generateTotpSecret();
    const email = await this.txHost.withTransaction(async () => {
      const user = await this.credentials.lockUser(userId);
      if (!user) throw AppError.unauthorized();
      if (user.twoFactorEnabled)
        throw AppError.conflict('Two-factor authentication is already enabled');
      await this.credentials.saveSecret(userId, this.box.seal(secret, totpSecretContext(userId)));
      return user.email;
    });
    const url = otpauthUrl(this.config.totpIssuer, email, secret);
    const svg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return {
      secret,
      otpauth_url: url,
      qr_code: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
    };
  }

  /** Turns MFA on with a code of the pending secret (that code counts as used). */
  async enable(userId: string, code: string, client: ClientInfo) {
    const codes = generateRecoveryCodes();
    await this.inTransactionOrAuditFailure(userId, 'enable', client, async () => {
      const user = await this.credentials.lockUser(userId);
      if (!user) throw AppError.unauthorized();
      if (user.twoFactorEnabled)
        throw AppError.conflict('Two-factor authentication is already enabled');
      const sealed = await this.credentials.findSealedSecret(userId);
      if (!sealed) throw AppError.conflict('Call POST /api/auth/mfa/totp/setup first');
      if (!(await this.claimTotp(userId, sealed, code))) throw wrongCode();
      await this.credentials.setTwoFactorEnabled(userId, true);
      await this.credentials.replaceRecoveryCodes(userId, codes.map(hashRecoveryCode));
      await this.audit.record({
        userId,
        action: 'MFA_ENABLED',
        resource: 'user',
        details: { method: 'totp', recovery_codes: codes.length },
        client,
      });
    });
    return { recovery_codes: codes };
  }

  /** A fresh set of recovery codes for a valid code; the old set dies. */
  async regenerateRecoveryCodes(userId: string, code: string, client: ClientInfo) {
    const codes = generateRecoveryCodes();
    await this.inTransactionOrAuditFailure(userId, 'recovery_codes', client, async () => {
      await this.requireEnabled(userId);
      const method = await this.consume(userId, proofOf(code), client, 'recovery_codes');
      if (!method) throw wrongCode();
      await this.credentials.replaceRecoveryCodes(userId, codes.map(hashRecoveryCode));
      await this.audit.record({
        userId,
        action: 'RECOVERY_CODES_REGENERATED',
        resource: 'user',
        details: { method, recovery_codes: codes.length },
        client,
      });
    });
    return { recovery_codes: codes };
  }

  /** Turns MFA off: the password and a second factor (TOTP or recovery code) both required. */
  async disable(userId: string, password: string, code: string, client: ClientInfo) {
    const user = await this.users.findById(userId);
    if (!(await this.passwords.verify(password, user?.passwordHash ?? null))) {
      throw AppError.invalidCredentials();
    }
    await this.inTransactionOrAuditFailure(userId, 'disable', client, async () => {
      await this.requireEnabled(userId);
      const method = await this.consume(userId, proofOf(code), client, 'disable');
      if (!method) throw wrongCode();
      await this.credentials.deleteAll(userId);
      await this.credentials.setTwoFactorEnabled(userId, false);
      await this.audit.record({
        userId,
        action: 'MFA_DISABLED',
        resource: 'user',
        details: { method },
        client,
      });
    });
  }

  /**
   * Support path for a lost device: MFA off, every session revoked (through the one
   * revocation path, whose audit row is the MFA_RESET row).
   */
  @Transactional()
  async reset(actor: Principal, userId: string, client: ClientInfo) {
    const user = await this.credentials.lockUser(userId);
    if (!user) throw AppError.notFound('User not found');
    await this.credentials.deleteAll(userId);
    await this.credentials.setTwoFactorEnabled(userId, false);
    await this.sessions.revoke({
      userId,
      scope: 'all',
      reason: 'MFA_RESET',
      resource: 'user',
      details: { actor_id: actor.userId, was_enabled: user.twoFactorEnabled },
      client,
    });
  }

  /**
   * Checks a second factor of a user with MFA enabled and marks it used, inside the
   * caller's transaction. Returns how it was proven, or null (wrong, replayed, or used).
   */
  async consume(
    userId: string,
    proof: MfaProof,
    client: ClientInfo,
    purpose: 'login' | 'recovery_codes' | 'disable',
  ): Promise<MfaMethod | null> {
    if (proof.code !== undefined) {
      const sealed = await this.credentials.findSealedSecret(userId);
      return sealed && (await this.claimTotp(userId, sealed, proof.code)) ? 'totp' : null;
    }
    if (proof.recoveryCode === undefined) return null;
    const hash = hashRecoveryCode(proof.recoveryCode);
    if (!(await this.credentials.consumeRecoveryCode(userId, hash))) return null;
    await this.audit.record({
      userId,
      action: 'MFA_RECOVERY_CODE_USED',
      resource: 'user',
      details: {
        purpose,
        remaining: await this.credentials.countUnusedRecoveryCodes(userId),
      },
      client,
    });
    return 'recovery_code';
  }

  private async claimTotp(userId: string, sealed: string, code: string) {
    const secret = this.box.open(sealed, totpSecretContext(userId)).toString('utf8');
    const step = matchingStep(secret, code, this.clock.now());
    return step !== null && (await this.credentials.claimTotpStep(userId, step));
  }

  private async requireEnabled(userId: string) {
    const user = await this.credentials.lockUser(userId);
    if (!user) throw AppError.unauthorized();
    if (!user.twoFactorEnabled) throw notEnabled();
  }

  /**
   * Runs `work` in a transaction; a wrong code rolls it back and leaves an MFA_FAILED row
   * (written after the rollback, so it survives it).
   */
  private async inTransactionOrAuditFailure(
    userId: string,
    purpose: string,
    client: ClientInfo,
    work: () => Promise<void>,
  ) {
    try {
      await this.txHost.withTransaction(work);
    } catch (err) {
      if (err instanceof AppError && err.code === 'INVALID_MFA_CODE') {
        await this.audit.record({
          userId,
          action: 'MFA_FAILED',
          resource: 'user',
          details: { purpose, reason: 'invalid_code' },
          client,
        });
      }
      throw err;
    }
  }
}

/** On the authenticated routes one `code` field carries either kind of code. */
function proofOf(code: string): MfaProof {
  return TOTP_CODE.test(code) ? { code } : { recoveryCode: code };
}
