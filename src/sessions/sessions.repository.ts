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
  ipAddress: string | null;
  userAgent: string | null;
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
   * session's current refresh token and the session and its user are active. Concurrent
   * rotations with one token serialise on the row; the losers see the new hash and match nothing.
   */
  async rotateIfCurrent(rotation: {
    sessionId: string;
    userId: string;
    presentedHash: string;
    next: NextRefreshToken;
  }): Promise<{ role: Role } | null> {
    const { sessionId, userId, presentedHash, next } = rotation;
    const result = await this.sessions.query<[Array<{ role: Role }>, number]>(
      `UPDATE user_sessions AS s
          SET jti = $4, refresh_token_hash = $5, expires_at = $6, last_used = now()
         FROM users AS u
        WHERE s.id = $1 AND s.user_id = $2 AND s.refresh_token_hash = $3 AND u.id = s.user_id
          AND s.is_active IS TRUE AND s.expires_at > now() AND u.is_active IS TRUE
      RETURNING u.role`,
      [
        sessionId,
        userId,
        presentedHash,
        next.refreshJti,
        next.refreshTokenHash,
        next.refreshExpiresAt,
      ],
    );
    return firstRow(result);
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
