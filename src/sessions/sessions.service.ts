import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { AppError } from '../common/app-error';
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

export type RotationOutcome =
  { kind: 'rotated'; role: Role } | { kind: 'invalid' } | { kind: 'reused'; sessionId: string };

/**
 * Why a refresh token that did not rotate failed: a live session of the token's user whose
 * current token is a different one means the presented token was already rotated (reuse).
 */
export function diagnoseFailedRotation(
  session: Pick<SessionEntity, 'userId' | 'isActive' | 'expiresAt' | 'refreshTokenHash'> | null,
  claims: { userId: string },
  presentedHash: string,
  now = new Date(),
): 'invalid' | 'reused' {
  const live = session?.userId === claims.userId && session.isActive && session.expiresAt > now;
  if (!session || !live || session.refreshTokenHash === presentedHash) return 'invalid';
  return 'reused';
}

@Injectable()
export class SessionsService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly sessions: SessionsRepository,
    private readonly revocations: RevocationService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
  ) {}

  listActive(userId: string) {
    return this.sessions.listActive(userId);
  }

  /** Joins the caller's transaction: a session starts with the change that created it. */
  @Transactional()
  start(session: NewSession) {
    return this.sessions.create(session);
  }

  /** True when the session is on the shared revocation list (checked on every request). */
  isRevoked(sessionId: string) {
    return this.revocations.isRevoked(sessionId);
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
   * Compare-and-swap rotation of a session's refresh token, audited. A validly signed token
   * that is not the session's current one was already rotated: reuse revokes the session.
   */
  @Transactional()
  async rotate(
    rotation: { sessionId: string; userId: string; presentedHash: string; next: NextRefreshToken },
    client: ClientInfo,
  ): Promise<RotationOutcome> {
    const rotated = await this.sessions.rotateIfCurrent(rotation);
    if (rotated) {
      await this.audit.record({
        userId: rotation.userId,
        action: 'TOKEN_REFRESHED',
        resource: 'session',
        details: { session_id: rotation.sessionId },
        client,
      });
      return { kind: 'rotated', role: rotated.role };
    }
    // Not rotated: find out why (the rare path), under the row lock.
    const session = await this.sessions.findForUpdate(rotation.sessionId);
    if (diagnoseFailedRotation(session, rotation, rotation.presentedHash) === 'invalid') {
      return { kind: 'invalid' };
    }
    this.metrics.tokenReuse();
    await this.revoke({
      userId: session!.userId,
      scope: 'session',
      sessionId: session!.id,
      reason: 'TOKEN_REUSE_DETECTED',
      details: { session_id: session!.id },
      client,
    });
    return { kind: 'reused', sessionId: session!.id };
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
