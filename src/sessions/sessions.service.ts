import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import type { ClientInfo, Principal } from '../common/decorators';
import { MetricsService } from '../metrics/metrics.service';
import type { Role } from '../common/roles';
import { RevocationService } from './revocation.service';
import { SessionEntity } from './session.entity';
import {
  NewSession,
  NextRefreshToken,
  RevocationFilter,
  SessionsRepository,
} from './sessions.repository';

/** The one way to end sessions: which ones, why (the audit action), and the request's client. */
export type RevokeRequest = RevocationFilter & {
  reason: AuditAction;
  client?: ClientInfo;
  details?: Record<string, unknown>;
  /** The audit row's resource: `user` when the revocation is part of a change to the account. */
  resource?: 'session' | 'user';
};

/** A live session whose refresh token moved on from the one presented (its row is locked). */
export interface SupersededSession {
  id: string;
  userId: string;
  /** Hash of the session's current refresh token: the successor, or a later one. */
  currentHash: string;
  /** When the session last rotated. */
  rotatedAt: Date;
}

export type RotationOutcome<T> =
  | { kind: 'rotated'; role: Role; amr: string; refresh: T }
  | { kind: 'invalid' }
  | { kind: 'superseded'; session: SupersededSession };

/**
 * Why a refresh token that did not rotate failed: a live session (active, unexpired, within
 * its absolute lifetime) of the token's user whose current token is a different one means
 * the presented token was already rotated.
 */
export function diagnoseFailedRotation(
  session: Pick<
    SessionEntity,
    'userId' | 'isActive' | 'expiresAt' | 'createdAt' | 'refreshTokenHash'
  > | null,
  claims: { userId: string },
  presentedHash: string,
  maxLifetimeSeconds: number,
  now = new Date(),
): 'invalid' | 'superseded' {
  const endsAt = session ? new Date(session.createdAt).getTime() + maxLifetimeSeconds * 1000 : 0;
  const live =
    session?.userId === claims.userId &&
    session.isActive &&
    new Date(session.expiresAt) > now &&
    endsAt > now.getTime();
  if (!session || !live || session.refreshTokenHash === presentedHash) return 'invalid';
  return 'superseded';
}

@Injectable()
export class SessionsService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly sessions: SessionsRepository,
    private readonly revocations: RevocationService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  listActive(userId: string) {
    return this.sessions.listActive(userId);
  }

  /** Joins the caller's transaction: a session starts with the change that created it. */
  @Transactional()
  start(session: NewSession) {
    return this.sessions.create(session);
  }

  /**
   * True when the session, or the signing key named by `kid`, is on the shared revocation
   * list (checked on every request, in one round trip).
   */
  isRevoked(sessionId: string, kid?: string) {
    return this.revocations.isRevoked(sessionId, kid);
  }

  isSigningKeyRevoked(kid: string) {
    return this.revocations.isSigningKeyRevoked(kid);
  }

  /** Every replica refuses the key's tokens from their next use (SigningKeysService.revoke). */
  revokeSigningKey(kid: string, ttlSeconds: number) {
    return this.revocations.revokeSigningKey(kid, ttlSeconds);
  }

  /**
   * Revokes in the database with its audit row (in the caller's transaction, if any), then
   * puts the sessions on the shared revocation list and counts them. Returns the revoked ids.
   * Inside a caller's transaction the list entry is written before that transaction commits:
   * should it roll back, the entry only rejects the sessions' access tokens until they expire.
   */
  async revoke(request: RevokeRequest): Promise<string[]> {
    const { reason, client, details, resource = 'session', ...filter } = request;
    const ids = await this.txHost.withTransaction(async () => {
      const revoked = await this.sessions.revoke(filter);
      await this.audit.record({
        userId: request.userId,
        action: reason,
        resource,
        details: { ...details, revoked_sessions: revoked.length },
        client,
      });
      return revoked;
    });
    await this.revocations.revokeSessions(ids);
    this.metrics.sessionsRevoked(ids.length, reason);
    return ids;
  }

  /**
   * Compare-and-swap rotation of a session's refresh token, audited. `issue(notAfter?)` signs
   * the next refresh token; it is called again with the session's absolute end when the
   * session ends before a full refresh TTL, so no token outlives its session. A validly
   * signed token that is not the session's current one was superseded: the row stays locked
   * for the rest of the caller's transaction, and the caller replays (grace window) or
   * revokes (`revokeForReuse`).
   */
  @Transactional()
  async rotate<T extends NextRefreshToken>(
    rotation: {
      sessionId: string;
      userId: string;
      presentedHash: string;
      issue: (notAfter?: Date) => Promise<T>;
    },
    client: ClientInfo,
  ): Promise<RotationOutcome<T>> {
    const { maxLifetimeSeconds } = this.config.sessions;
    let next = await rotation.issue();
    const rotated = await this.sessions.rotateIfCurrent({ ...rotation, next, maxLifetimeSeconds });
    if (rotated) {
      if (rotated.expiresAt < next.refreshExpiresAt) {
        next = await rotation.issue(rotated.expiresAt);
        await this.sessions.replaceRefreshToken(rotation.sessionId, next);
      }
      await this.audit.record({
        userId: rotation.userId,
        action: 'TOKEN_REFRESHED',
        resource: 'session',
        details: { session_id: rotation.sessionId },
        client,
      });
      return { kind: 'rotated', role: rotated.role, amr: rotated.amr, refresh: next };
    }
    // Not rotated: find out why (the rare path), under the row lock.
    const session = await this.sessions.findForUpdate(rotation.sessionId);
    const verdict = diagnoseFailedRotation(
      session,
      rotation,
      rotation.presentedHash,
      maxLifetimeSeconds,
    );
    if (verdict === 'invalid' || !session) return { kind: 'invalid' };
    return {
      kind: 'superseded',
      session: {
        id: session.id,
        userId: session.userId,
        currentHash: session.refreshTokenHash!,
        rotatedAt: new Date(session.lastUsed),
      },
    };
  }

  /** A superseded token answered with its successor pair again (grace window), audited. */
  async recordReplay(session: SupersededSession, client: ClientInfo) {
    await this.audit.record({
      userId: session.userId,
      action: 'TOKEN_REFRESHED',
      resource: 'session',
      details: { session_id: session.id, grace_replay: true },
      client,
    });
  }

  /** A superseded token presented outside the grace window: the whole session is revoked. */
  async revokeForReuse(session: SupersededSession, client: ClientInfo) {
    this.metrics.tokenReuse();
    await this.revoke({
      userId: session.userId,
      scope: 'session',
      sessionId: session.id,
      reason: 'TOKEN_REUSE_DETECTED',
      details: { session_id: session.id },
      client,
    });
  }

  /** DELETE /api/sessions/:id: revoking the caller's own session is a logout. */
  async revokeOwned(principal: Principal, sessionId: string, client: ClientInfo) {
    const session = await this.sessions.findActiveOwned(sessionId, principal.userId);
    if (!session) throw AppError.notFound('Session not found');
    const current = session.id === principal.sessionId;
    await this.revoke({
      userId: principal.userId,
      scope: 'session',
      sessionId,
      reason: current ? 'USER_LOGOUT' : 'SESSION_REVOKED',
      details: { session_id: sessionId },
      client,
    });
  }
}

export function toPublicSession(session: SessionEntity, currentSessionId: string) {
  return {
    id: session.id,
    created_at: new Date(session.createdAt).toISOString(),
    last_used: new Date(session.lastUsed).toISOString(),
    expires_at: new Date(session.expiresAt).toISOString(),
    ip_address: session.ipAddress,
    user_agent: session.userAgent,
    current: session.id === currentSessionId,
  };
}
