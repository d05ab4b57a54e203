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
  RotationState,
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
  /** What the last rotation sealed for the token it rotated (RefreshGraceService). */
  gracePair: string | null;
  /** The last rotation happened within the grace window. */
  withinGrace: boolean;
}

/** What a session's next tokens are minted for: checked by the rotation that stores them. */
export interface RotationTarget {
  role: Role;
  /** Space-separated, as the session row stores it. */
  amr: string;
  /** The session's absolute end, when the next tokens may not outlive a full TTL. */
  notAfter?: Date;
}

/** Tokens minted for a rotation: the next refresh token, and the pair sealed for grace replays. */
export interface MintedRotation extends NextRefreshToken {
  gracePair: string | null;
}

export type RotationOutcome<T> =
  { kind: 'rotated'; minted: T } | { kind: 'invalid' } | { kind: 'superseded' };

/** Rotations retried because the role, amr or lifetime changed under the expected target. */
const MAX_ROTATION_ATTEMPTS = 3;

/**
 * Why a refresh token that did not rotate failed: a live session (active, unexpired, within
 * its absolute lifetime, its user active) of the token's user whose current token is a
 * different one means the presented token was already rotated (`superseded`); the current
 * token itself means the tokens were minted for a stale target (`stale`: role, amr or
 * absolute end changed).
 */
export function diagnoseFailedRotation(
  session: Pick<
    RotationState,
    'userId' | 'isActive' | 'userActive' | 'expiresAt' | 'createdAt' | 'refreshTokenHash'
  > | null,
  claims: { userId: string },
  presentedHash: string,
  maxLifetimeSeconds: number,
  now = new Date(),
): 'invalid' | 'superseded' | 'stale' {
  if (!session) return 'invalid';
  const endsAt = session.createdAt.getTime() + maxLifetimeSeconds * 1000;
  const live =
    session.userId === claims.userId &&
    session.isActive &&
    session.userActive &&
    session.expiresAt > now &&
    endsAt > now.getTime();
  if (!live || !session.refreshTokenHash) return 'invalid';
  return session.refreshTokenHash === presentedHash ? 'stale' : 'superseded';
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
   * Compare-and-swap rotation of a session's refresh token, audited, in one self-committing
   * statement. `mint(target)` signs the next tokens for what the session is expected to be
   * (`expected`); when the statement finds the session changed under it (role, amr, or an
   * absolute end before a full refresh TTL), they are minted again for what it found. A validly
   * signed token that is not the session's current one was superseded: the caller replays
   * (grace window) or revokes, under `lockSuperseded`.
   */
  async rotate<T extends MintedRotation>(
    rotation: {
      sessionId: string;
      userId: string;
      presentedHash: string;
      expected: RotationTarget;
      mint: (target: RotationTarget) => Promise<T>;
    },
    client: ClientInfo,
  ): Promise<RotationOutcome<T>> {
    const { maxLifetimeSeconds } = this.config.sessions;
    // Written only by the attempt that rotates.
    const audit = this.audit.prepare({
      userId: rotation.userId,
      action: 'TOKEN_REFRESHED',
      resource: 'session',
      details: { session_id: rotation.sessionId },
      client,
    });
    let target = rotation.expected;
    for (let attempt = 1; ; attempt++) {
      const minted = await rotation.mint(target);
      const rotated = await this.sessions.rotateIfCurrent(
        { ...rotation, ...target, next: minted, gracePair: minted.gracePair, maxLifetimeSeconds },
        audit,
      );
      if (rotated) {
        this.audit.committed(audit);
        return { kind: 'rotated', minted };
      }
      const { session, verdict } = await this.inspect(rotation, rotation.presentedHash, false);
      if (verdict === 'superseded') return { kind: 'superseded' };
      if (verdict === 'invalid' || !session || attempt === MAX_ROTATION_ATTEMPTS) {
        return { kind: 'invalid' };
      }
      const endsAt = new Date(session.createdAt.getTime() + maxLifetimeSeconds * 1000);
      target = { role: session.role, amr: session.amr, notAfter: endsAt };
    }
  }

  /**
   * The session of a superseded token, locked for the rest of the caller's transaction; null
   * when it is not (or no longer) a live session that moved on from `presentedHash`.
   */
  @Transactional()
  async lockSuperseded(
    claims: { sessionId: string; userId: string },
    presentedHash: string,
  ): Promise<SupersededSession | null> {
    const { session, verdict } = await this.inspect(claims, presentedHash, true);
    if (verdict !== 'superseded' || !session) return null;
    return {
      id: session.id,
      userId: session.userId,
      currentHash: session.refreshTokenHash!,
      gracePair: session.gracePair,
      withinGrace: session.withinGrace,
    };
  }

  /** The session as a refresh that did not rotate finds it (`lock`: row locked), and why. */
  private async inspect(
    claims: { sessionId: string; userId: string },
    presentedHash: string,
    lock: boolean,
  ) {
    const { maxLifetimeSeconds, reuseGraceSeconds } = this.config.sessions;
    const session = await this.sessions.findRotationState(claims.sessionId, {
      graceSeconds: reuseGraceSeconds,
      lock,
    });
    const verdict = diagnoseFailedRotation(session, claims, presentedHash, maxLifetimeSeconds);
    return { session, verdict };
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
