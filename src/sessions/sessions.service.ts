import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { AuditAction } from '../audit/audit-actions';
import { AppError } from '../common/app-error';
import { MetricsService } from '../metrics/metrics.service';
import type { ClientInfo, Principal } from '../common/decorators';
import { RevocationService } from './revocation.service';
import { SessionEntity } from './session.entity';
import { SessionsRepository } from './sessions.repository';

export interface RevokeRequest {
  userId: string;
  action: AuditAction;
  client?: ClientInfo;
  /** Revoke just this session. */
  sessionId?: string;
  /** Revoke every session of the user but this one. */
  exceptSessionId?: string;
  details?: Record<string, unknown>;
}

@Injectable()
export class SessionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sessions: SessionsRepository,
    private readonly revocations: RevocationService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
  ) {}

  listActive(userId: string) {
    return this.sessions.listActive(userId);
  }

  /** Revokes in the database and the shared revocation list; the audit row commits with it. */
  async revoke(request: RevokeRequest): Promise<string[]> {
    const revoked = await this.dataSource.transaction(async (manager) => {
      const ids = await this.sessions.revoke(manager, {
        id: request.sessionId,
        userId: request.userId,
        exceptId: request.exceptSessionId,
      });
      await this.audit.record(manager, {
        userId: request.userId,
        action: request.action,
        resource: 'session',
        details: { ...request.details, revoked_sessions: ids.length },
        client: request.client,
      });
      return ids;
    });
    await this.revocations.revokeSessions(revoked);
    this.metrics.sessionsRevoked(revoked.length, request.action);
    return revoked;
  }

  async revokeOwned(principal: Principal, sessionId: string, client: ClientInfo) {
    const session = await this.sessions.findActiveOwned(sessionId, principal.userId);
    if (!session) throw AppError.notFound('Session not found');
    const current = session.id === principal.sessionId;
    await this.revoke({
      userId: principal.userId,
      sessionId,
      action: current ? 'USER_LOGOUT' : 'SESSION_REVOKED',
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
