import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { Role } from '../common/roles';
import { SessionEntity } from './session.entity';

/** The refresh token a session moves to (only its hash is stored). */
export interface NextRefreshToken {
  refreshJti: string;
  refreshTokenHash: string;
  refreshExpiresAt: Date;
}

/** Which of a user's active sessions a revocation ends. */
export type RevocationFilter =
  | { userId: string; scope: 'session'; sessionId: string }
  | { userId: string; scope: 'all' }
  | { userId: string; scope: 'all-but'; sessionId: string };

export interface NewSession {
  id: string;
  userId: string;
  jti: string;
  refreshTokenHash: string;
  expiresAt: Date;
  /** The start of the session's absolute lifetime, on the same clock as its tokens' `exp`. */
  createdAt: Date;
  ipAddress: string | null;
  userAgent: string | null;
  /** Space-separated authentication methods (`pwd`, `pwd otp`). */
  amr: string;
}

/** TypeORM returns an UPDATE ... RETURNING as [rows, affected count], on pg and PGlite alike. */
function firstRow<T>([rows]: [T[], number]): T | null {
  return rows[0] ?? null;
}

@Injectable()
export class SessionsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /** The sessions table in the ambient transaction, or on the plain connection outside one. */
  private get sessions() {
    return this.txHost.tx.getRepository(SessionEntity);
  }

  async create(session: NewSession) {
    await this.sessions.insert({ ...session, tokenType: 'refresh' });
  }

  /** Locks the session row for the rest of the transaction (serialises concurrent refreshes). */
  findForUpdate(id: string) {
    return this.sessions
      .createQueryBuilder('s')
      .setLock('pessimistic_write')
      .where('s.id = :id', { id })
      .getOne();
  }

  /**
   * Compare-and-swap rotation in one statement: succeeds only while `presentedHash` is the
   * session's current refresh token, the session and its user are active and the session is
   * younger than `maxLifetimeSeconds`. Concurrent rotations with one token serialise on the
   * row; the losers see the new hash and match nothing. `expires_at` never passes the
   * session's absolute end; the returned one says whether `next` must be cut short.
   */
  async rotateIfCurrent(rotation: {
    sessionId: string;
    userId: string;
    presentedHash: string;
    next: NextRefreshToken;
    maxLifetimeSeconds: number;
  }): Promise<{ role: Role; amr: string; expiresAt: Date } | null> {
    const { sessionId, userId, presentedHash, next, maxLifetimeSeconds } = rotation;
    const result = await this.sessions.query<
      [Array<{ role: Role; amr: string; expires_at: Date | string }>, number]
    >(
      `UPDATE user_sessions AS s
          SET jti = $4, refresh_token_hash = $5, last_used = now(),
              expires_at = LEAST($6::timestamptz, s.created_at + make_interval(secs => $7))
         FROM users AS u
        WHERE s.id = $1 AND s.user_id = $2 AND s.refresh_token_hash = $3 AND u.id = s.user_id
          AND s.is_active IS TRUE AND s.expires_at > now() AND u.is_active IS TRUE
          AND s.created_at + make_interval(secs => $7) > now()
      RETURNING u.role, s.amr, s.expires_at`,
      [
        sessionId,
        userId,
        presentedHash,
        next.refreshJti,
        next.refreshTokenHash,
        next.refreshExpiresAt,
        maxLifetimeSeconds,
      ],
    );
    const row = firstRow(result);
    return row ? { role: row.role, amr: row.amr, expiresAt: new Date(row.expires_at) } : null;
  }

  /** Swaps the refresh token of a session this transaction already rotated (row locked). */
  async replaceRefreshToken(sessionId: string, next: NextRefreshToken) {
    await this.sessions.query(
      `UPDATE user_sessions SET jti = $2, refresh_token_hash = $3, expires_at = $4 WHERE id = $1`,
      [sessionId, next.refreshJti, next.refreshTokenHash, next.refreshExpiresAt],
    );
  }

  listActive(userId: string) {
    return this.sessions
      .createQueryBuilder('s')
      .where('s.user_id = :userId AND s.is_active IS TRUE AND s.expires_at > now()', { userId })
      .orderBy('s.last_used', 'DESC')
      .getMany();
  }

  findActiveOwned(id: string, userId: string) {
    return this.sessions
      .createQueryBuilder('s')
      .where(
        's.id = :id AND s.user_id = :userId AND s.is_active IS TRUE AND s.expires_at > now()',
        {
          id,
          userId,
        },
      )
      .getOne();
  }

  /** Marks the matching active sessions revoked; returns their ids. */
  async revoke(filter: RevocationFilter): Promise<string[]> {
    const qb = this.sessions
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ isActive: false, revokedAt: () => 'now()' })
      .where('is_active IS TRUE AND user_id = :userId', { userId: filter.userId })
      .returning(['id']);
    if (filter.scope === 'session') qb.andWhere('id = :id', { id: filter.sessionId });
    if (filter.scope === 'all-but') qb.andWhere('id <> :id', { id: filter.sessionId });
    const result = await qb.execute();
    return (result.raw as Array<{ id: string }>).map((row) => row.id);
  }

  /** Deletes sessions that ended (expired or revoked) more than `graceSeconds` ago, at most `limit`. */
  async purgeEnded(graceSeconds: number, limit: number): Promise<number> {
    const result: unknown = await this.sessions.query(
      `DELETE FROM user_sessions WHERE id IN (
         SELECT id FROM user_sessions
         WHERE expires_at < now() - make_interval(secs => $1)
            OR (is_active IS FALSE AND revoked_at < now() - make_interval(secs => $1))
         LIMIT $2)`,
      [graceSeconds, limit],
    );
    return Array.isArray(result) ? Number(result[1] ?? 0) : 0;
  }
}
