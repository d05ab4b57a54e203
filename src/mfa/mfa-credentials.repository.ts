import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';

type Rows<T> = [T[], number];

/**
 * TOTP secrets, recovery codes and the user's `two_factor_enabled` flag. Every check that
 * must hold under concurrency is one conditional statement (compare-and-set), never a read
 * followed by a write.
 */
@Injectable()
export class MfaCredentialsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /** Locks the user row for an MFA change (enrolment steps queue instead of interleaving). */
  async lockUser(userId: string) {
    const rows = await this.txHost.tx.query<
      Array<{ email: string; two_factor_enabled: boolean | null }>
    >(`SELECT email, two_factor_enabled FROM users WHERE id = $1 FOR NO KEY UPDATE`, [userId]);
    const row = rows[0];
    return row ? { email: row.email, twoFactorEnabled: row.two_factor_enabled === true } : null;
  }

  async setTwoFactorEnabled(userId: string, enabled: boolean) {
    await this.txHost.tx.query(
      `UPDATE users SET two_factor_enabled = $2, updated_at = now() WHERE id = $1`,
      [userId, enabled],
    );
  }

  /** Stores a (pending) secret, replacing any previous one with a fresh replay state. */
  async saveSecret(userId: string, sealedSecret: string) {
    await this.txHost.tx.query(
      `INSERT INTO mfa_totp_credentials (user_id, secret_encrypted, last_step)
       VALUES ($1, $2, NULL)
       ON CONFLICT (user_id) DO UPDATE
         SET secret_encrypted = EXCLUDED.secret_encrypted, last_step = NULL, created_at = now()`,
      [userId, sealedSecret],
    );
  }

  async listSealedSecrets() {
    return this.txHost.tx.query<Array<{ user_id: string; secret_encrypted: string }>>(
      `SELECT user_id, secret_encrypted FROM mfa_totp_credentials`,
    );
  }

  /** Replaces a sealed secret unless the row changed since it was read; true if replaced. */
  async replaceSealedSecret(userId: string, previous: string, next: string): Promise<boolean> {
    const [, affected] = await this.txHost.tx.query<Rows<unknown>>(
      `UPDATE mfa_totp_credentials SET secret_encrypted = $3
        WHERE user_id = $1 AND secret_encrypted = $2`,
      [userId, previous, next],
    );
    return affected > 0;
  }

  async findSealedSecret(userId: string): Promise<string | null> {
    const rows = await this.txHost.tx.query<Array<{ secret_encrypted: string }>>(
      `SELECT secret_encrypted FROM mfa_totp_credentials WHERE user_id = $1`,
      [userId],
    );
    return rows[0]?.secret_encrypted ?? null;
  }

  /**
   * Marks time step `step` used: succeeds only if no step at or after it was accepted before
   * (RFC 6238 §5.2), atomically, so two requests with one code cannot both pass.
   */
  async claimTotpStep(userId: string, step: number): Promise<boolean> {
    const [, affected] = await this.txHost.tx.query<Rows<unknown>>(
      `UPDATE mfa_totp_credentials SET last_step = $2
        WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)`,
      [userId, step],
    );
    return affected === 1;
  }

  async replaceRecoveryCodes(userId: string, codeHashes: string[]) {
    await this.txHost.tx.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
    await this.txHost.tx.query(
      `INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::varchar[])`,
      [userId, codeHashes],
    );
  }

  /** Uses one recovery code in one statement: of two parallel uses, exactly one succeeds. */
  async consumeRecoveryCode(userId: string, codeHash: string) {
    const [, affected] = await this.txHost.tx.query<Rows<unknown>>(
      `UPDATE mfa_recovery_codes SET used_at = now()
        WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
      [userId, codeHash],
    );
    return affected === 1;
  }

  async countUnusedRecoveryCodes(userId: string): Promise<number> {
    const rows = await this.txHost.tx.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL`,
      [userId],
    );
    return rows[0]?.n ?? 0;
  }

  /** Forgets the secret and every recovery code. */
  async deleteAll(userId: string) {
    await this.txHost.tx.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
    await this.txHost.tx.query(`DELETE FROM mfa_totp_credentials WHERE user_id = $1`, [userId]);
  }
}
