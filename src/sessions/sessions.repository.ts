import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { PreparedAuditRow } from '../audit/audit.service';
import { SELF_COMMITTING } from '../common/dependency-errors';
import { queryRows } from '../common/pool-query';
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

/** A session as a refresh that did not rotate sees it. */
export interface RotationState {
  id: string;
  userId: string;
  isActive: boolean;
  userActive: boolean;
  expiresAt: Date;
  createdAt: Date;
  refreshTokenHash: string | null;
  amr: string;
  role: Role;
  gracePair: string | null;
  /** The session rotated within the refresh grace window (on the database's clock). */
  withinGrace: boolean;
}

interface RotationStateRow {
  user_id: string;
  is_active: boolean | null;
  user_active: boolean | null;
  expires_at: Date | string;
  created_at: Date | string;
  refresh_token_hash: string | null;
  amr: string;
  role: Role;
  grace_pair: string | null;
  within_grace: boolean | null;
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

  /**
   * What a failed rotation needs to know about the session (and its user), `withinGrace` being
   * a rotation in the last `graceSeconds`; with `lock`, the row stays locked for the rest of the
   * caller's transaction.
   */
  async findRotationState(
    id: string,
    { graceSeconds, lock }: { graceSeconds: number; lock: boolean },
  ): Promise<RotationState | null> {
    const [row] = await queryRows<RotationStateRow>(
      this.txHost.tx,
      `SELECT s.user_id, s.is_active, s.expires_at, s.created_at, s.refresh_token_hash, s.amr,
              s.grace_pair, u.role, u.is_active AS user_active,
              s.last_used > now() - make_interval(secs => $2) AS within_grace
         FROM user_sessions AS s JOIN users AS u ON u.id = s.user_id
        WHERE s.id = $1${lock ? ' FOR UPDATE OF s' : ''}`,
      [id, graceSeconds],
    );
    if (!row) return null;
    return {
      id,
      userId: row.user_id,
      isActive: row.is_active === true,
      userActive: row.user_active === true,
      expiresAt: new Date(row.expires_at),
      createdAt: new Date(row.created_at),
      refreshTokenHash: row.refresh_token_hash,
      amr: row.amr,
      role: row.role,
      gracePair: row.grace_pair,
      withinGrace: row.within_grace === true,
    };
  }

  /**
   * Compare-and-swap rotation in one self-committing statement, its audit row included: it
   * succeeds only while `presentedHash` is the session's current refresh token, the session and
   * its user are active, the session is younger than `maxLifetimeSeconds` and `next` does not
   * outlive it, and the user's role and the session's `amr` are the ones `next` was minted for.
   * Concurrent rotations with one token serialise on the row; the losers see the new hash and
   * match nothing. `gracePair` (sealed) is what the presented token's later uses get back.
   */
  async rotateIfCurrent(
    rotation: {
      sessionId: string;
      userId: string;
      presentedHash: string;
      next: NextRefreshToken;
      role: Role;
      amr: string;
      gracePair: string | null;
      maxLifetimeSeconds: number;
    },
    audit: PreparedAuditRow,
  ): Promise<boolean> {
    const { sessionId, userId, presentedHash, next, role, amr, gracePair } = rotation;
    const params: unknown[] = [
      sessionId,
      userId,
      presentedHash,
      next.refreshJti,
      next.refreshTokenHash,
      next.refreshExpiresAt,
      rotation.maxLifetimeSeconds,
      role,
      amr,
      gracePair,
    ];
    const auditInsert = audit.insertFrom('rotated', params.length + 1);
    const [{ rotated }] = await queryRows<{ rotated: number }>(
      this.txHost.tx,
      `${SELF_COMMITTING}
       WITH rotated AS (
         UPDATE user_sessions AS s
            SET jti = $4, refresh_token_hash = $5, expires_at = $6, last_used = now(),
                grace_pair = $10
           FROM users AS u
          WHERE s.id = $1 AND u.id = $2 AND s.refresh_token_hash = $3
            -- IS NOT DISTINCT FROM, which no index serves: both rows are read by primary key
            -- whatever the statistics say (prepared-statements.e2e pins the plan)
            AND s.user_id IS NOT DISTINCT FROM u.id AND u.role IS NOT DISTINCT FROM $8
            AND s.is_active IS TRUE AND s.expires_at > now() AND u.is_active IS TRUE
            AND s.created_at + make_interval(secs => $7) > now()
            AND s.created_at + make_interval(secs => $7) >= $6
            AND s.amr = $9
        RETURNING s.id
       ), audit AS (${auditInsert.sql})
       SELECT count(*)::int AS rotated FROM rotated`,
      [...params, ...auditInsert.params],
    );
    return rotated === 1;
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
