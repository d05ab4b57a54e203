import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DeviceTokenEntity } from './device-token.entity';

export interface DeviceAttempt {
  /** The device token's row id (not secret: safe in audit rows). */
  id: string;
  userId: string;
  /** This login's number among the token's failed-or-pending attempts, 1-based. */
  attempt: number;
}

/** `UPDATE ... RETURNING` through `query()`: TypeORM hands back [rows, affected count]. */
type Returning<T> = [T[], number];

@Injectable()
export class DeviceTokensRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /** The table in the ambient transaction, or on the plain connection outside one. */
  private get tokens() {
    return this.txHost.tx.getRepository(DeviceTokenEntity);
  }

  async insert(row: { userId: string; tokenHash: string; expiresAt: Date }): Promise<string> {
    const result = await this.tokens.insert(row);
    return (result.identifiers[0] as { id: string }).id;
  }

  /**
   * In one statement: finds the live token (by its hash and its user's email, or by id and
   * user) and counts an attempt on it unless it already has `maxAttempts`. A parallel burst
   * therefore never verifies more than `maxAttempts` passwords or codes per device.
   */
  async reserveAttempt(
    match: { tokenHash: string; email: string } | { id: string; userId: string },
    maxAttempts: number,
  ): Promise<DeviceAttempt | null> {
    const [join, where, params] =
      'tokenHash' in match
        ? [
            'FROM users AS u',
            'd.token_hash = $1 AND u.id = d.user_id AND u.email = $2',
            [match.tokenHash, match.email],
          ]
        : ['', 'd.id = $1 AND d.user_id = $2', [match.id, match.userId]];
    const [rows] = await this.tokens.query<Returning<{ id: string; user_id: string; n: number }>>(
      `UPDATE device_tokens AS d
          SET failed_attempts = d.failed_attempts + 1
         ${join}
        WHERE ${where}
          AND d.revoked_at IS NULL AND d.expires_at > now() AND d.failed_attempts < $3
      RETURNING d.id, d.user_id, d.failed_attempts AS n`,
      [...params, maxAttempts],
    );
    const row = rows[0];
    return row ? { id: row.id, userId: row.user_id, attempt: Number(row.n) } : null;
  }

  /** Revokes the matching live tokens; returns how many. */
  async revoke(filter: { id: string } | { userId: string }): Promise<number> {
    const qb = this.tokens
      .createQueryBuilder()
      .update(DeviceTokenEntity)
      .set({ revokedAt: () => 'now()' })
      .where('revoked_at IS NULL');
    if ('id' in filter) qb.andWhere('id = :id', { id: filter.id });
    else qb.andWhere('user_id = :userId', { userId: filter.userId });
    const result = await qb.execute();
    return result.affected ?? 0;
  }

  /** Deletes tokens that ended (expired or revoked) more than `graceSeconds` ago, at most `limit`. */
  async purgeEnded(graceSeconds: number, limit: number): Promise<number> {
    const result: unknown = await this.tokens.query(
      `DELETE FROM device_tokens WHERE id IN (
         SELECT id FROM device_tokens
          WHERE expires_at < now() - make_interval(secs => $1)
             OR revoked_at < now() - make_interval(secs => $1)
          LIMIT $2)`,
      [graceSeconds, limit],
    );
    return Array.isArray(result) ? Number(result[1] ?? 0) : 0;
  }
}
