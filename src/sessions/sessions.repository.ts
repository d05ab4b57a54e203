import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import type { RefreshToken } from '../auth/token.service';
import type { Role } from '../users/user.entity';
import { SessionEntity } from './session.entity';

export interface NewSession {
  id: string;
  userId: string;
  jti: string;
  refreshTokenHash: string;
  expiresAt: Date;
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
  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
  ) {}

  async create(manager: EntityManager, session: NewSession) {
    await manager.insert(SessionEntity, { ...session, tokenType: 'refresh' });
  }

  /** Locks the session row for the rest of the transaction (serialises concurrent refreshes). */
  findForUpdate(manager: EntityManager, id: string) {
    return manager
      .getRepository(SessionEntity)
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
  async rotateIfCurrent(
    manager: EntityManager,
    rotation: { sessionId: string; userId: string; presentedHash: string; next: RefreshToken },
  ): Promise<{ role: Role; amr: string } | null> {
    const { sessionId, userId, presentedHash, next } = rotation;
    const result = await manager.query<[Array<{ role: Role; amr: string }>, number]>(
      `UPDATE user_sessions AS s
          SET jti = $4, refresh_token_hash = $5, expires_at = $6, last_used = now()
         FROM users AS u
        WHERE s.id = $1 AND s.user_id = $2 AND s.refresh_token_hash = $3 AND u.id = s.user_id
          AND s.is_active IS TRUE AND s.expires_at > now() AND u.is_active IS TRUE
      RETURNING u.role, s.amr`,
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

  /** Revokes sessions matching the filter; returns the ids it revoked. */
  async revoke(
    manager: EntityManager,
    filter: { id?: string; userId?: string; exceptId?: string },
  ): Promise<string[]> {
    const qb = manager
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ isActive: false, revokedAt: () => 'now()' })
      .where('is_active IS TRUE')
      .returning(['id']);
    if (filter.id) qb.andWhere('id = :id', { id: filter.id });
    if (filter.userId) qb.andWhere('user_id = :userId', { userId: filter.userId });
    if (filter.exceptId) qb.andWhere('id <> :exceptId', { exceptId: filter.exceptId });
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
