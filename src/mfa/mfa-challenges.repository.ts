import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';

export interface ChallengeRow {
  id: string;
  userId: string;
  deviceId: string | null;
  expiresAt: Date;
  failedAttempts: number;
  consumedAt: Date | null;
}

type RawChallenge = {
  id: string;
  user_id: string;
  device_id: string | null;
  expires_at: Date;
  failed_attempts: number;
  consumed_at: Date | null;
};

const toRow = (raw: RawChallenge | undefined): ChallengeRow | null =>
  raw
    ? {
        id: raw.id,
        userId: raw.user_id,
        deviceId: raw.device_id,
        expiresAt: new Date(raw.expires_at),
        failedAttempts: raw.failed_attempts,
        consumedAt: raw.consumed_at,
      }
    : null;

const COLUMNS = 'id, user_id, device_id, expires_at, failed_attempts, consumed_at';

/** Pending second login steps, shared by every replica through the database. */
@Injectable()
export class MfaChallengesRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async create(challenge: {
    tokenHash: string;
    userId: string;
    deviceId: string | null;
    expiresAt: Date;
  }) {
    await this.txHost.tx.query(
      `INSERT INTO mfa_challenges (token_hash, user_id, device_id, expires_at)
       VALUES ($1, $2, $3, $4)`,
      [challenge.tokenHash, challenge.userId, challenge.deviceId, challenge.expiresAt],
    );
  }

  async findByTokenHash(tokenHash: string) {
    const rows = await this.txHost.tx.query<RawChallenge[]>(
      `SELECT ${COLUMNS} FROM mfa_challenges WHERE token_hash = $1`,
      [tokenHash],
    );
    return toRow(rows[0]);
  }

  /** Locks the challenge for the rest of the transaction: attempts on one token queue. */
  async lockByTokenHash(tokenHash: string) {
    const rows = await this.txHost.tx.query<RawChallenge[]>(
      `SELECT ${COLUMNS} FROM mfa_challenges WHERE token_hash = $1 FOR UPDATE`,
      [tokenHash],
    );
    return toRow(rows[0]);
  }

  async markConsumed(id: string, at: Date) {
    await this.txHost.tx.query(`UPDATE mfa_challenges SET consumed_at = $2 WHERE id = $1`, [
      id,
      at,
    ]);
  }

  async countFailure(id: string): Promise<number> {
    const [rows] = await this.txHost.tx.query<[Array<{ failed_attempts: number }>, number]>(
      `UPDATE mfa_challenges SET failed_attempts = failed_attempts + 1
        WHERE id = $1 RETURNING failed_attempts`,
      [id],
    );
    return rows[0]?.failed_attempts ?? 0;
  }

  /** Drops challenges that ended a while ago (a bounded batch per call). */
  async purgeEnded(before: Date) {
    await this.txHost.tx.query(
      `DELETE FROM mfa_challenges WHERE id IN (
         SELECT id FROM mfa_challenges WHERE expires_at < $1 LIMIT 500)`,
      [before],
    );
  }
}
