import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DataSource } from 'typeorm';
import type {
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';
import type { ClientInfo } from '../common/decorators';
import type { AuditAction } from './audit-actions';
import {
  auditInsertFrom,
  insertAuditRow,
  newAuditRow,
  WrittenAuditRow,
} from './audit-chain.repository';
import { auditScope } from './audit-context';
import { redactSecrets } from './redact';

export interface AuditEvent {
  userId: string | null;
  action: AuditAction;
  resource?: string;
  details?: Record<string, unknown>;
  /** Defaults to the current request's client (see AuditInterceptor). */
  client?: ClientInfo;
}

/**
 * An audit row that a change's own single statement inserts (see `insertFrom`): for writes that
 * commit by themselves, outside any transaction. `AuditService.committed` logs it afterwards.
 */
export interface PreparedAuditRow {
  row: WrittenAuditRow;
  /** The INSERT as a data-modifying CTE clause reading `source`; parameters from `$first`. */
  insertFrom(source: string, first: number): { sql: string; params: unknown[] };
}

/**
 * The guide's `log_audit_event`: one row in audit_logs (chained moments later by the
 * AuditSealer) plus one structured log line, emitted once the row is committed (a rolled-back
 * change logs nothing).
 */
@Injectable()
export class AuditService implements EntitySubscriberInterface, OnModuleInit {
  private readonly logger = new Logger('Audit');
  private readonly pending = new WeakMap<QueryRunner, WrittenAuditRow[]>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {}

  /** Hears commits and rollbacks, to log a transaction's rows only once they are committed. */
  onModuleInit() {
    this.dataSource.subscribers.push(this);
  }

  /**
   * Writes the row in the ambient transaction, so a state change and its audit row commit
   * together. Outside a transaction the row is written (and logged) on its own.
   */
  async record(event: AuditEvent): Promise<void> {
    markRecorded();
    const row = this.rowOf(event);
    const manager = this.txHost.tx;
    const runner = manager.queryRunner;
    await insertAuditRow(manager, row);
    if (runner?.isTransactionActive) {
      this.pending.set(runner, [...(this.pending.get(runner) ?? []), row]);
    } else {
      this.log(row);
    }
  }

  /** The row for a change written by one statement; `committed` once that statement succeeded. */
  prepare(event: AuditEvent): PreparedAuditRow {
    const row = this.rowOf(event);
    return { row, insertFrom: (source, first) => auditInsertFrom(row, source, first) };
  }

  committed(prepared: PreparedAuditRow): void {
    markRecorded();
    this.log(prepared.row);
  }

  /** The event's row: the request's client and id, the acting admin, secrets redacted. */
  private rowOf(event: AuditEvent): WrittenAuditRow {
    const scope = auditScope.getStore();
    const client = event.client ?? scope?.client;
    const details: Record<string, unknown> = { ...(event.details ?? {}) };
    if (client) details.request_id = client.requestId;
    if (scope?.actorId && scope.actorId !== event.userId && details.actor_id === undefined) {
      details.actor_id = scope.actorId;
    }
    return newAuditRow({
      user_id: event.userId,
      action: event.action,
      resource: event.resource ?? null,
      details: redactSecrets(details),
      ip_address: client?.ip || null,
      user_agent: client?.userAgent ?? null,
    });
  }

  /**
   * For events without a state change: written outside any transaction, never fails or
   * delays the request it describes.
   */
  recordDetached(event: AuditEvent): void {
    this.txHost
      .withoutTransaction(() => this.record(event))
      .catch((err: Error) =>
        this.logger.error(`audit write failed for ${event.action}: ${err.message}`),
      );
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const rows = this.pending.get(event.queryRunner);
    this.pending.delete(event.queryRunner);
    rows?.forEach((row) => this.log(row));
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    this.pending.delete(event.queryRunner);
  }

  private log(row: WrittenAuditRow) {
    this.logger.log({
      msg: 'audit_event',
      audit_id: row.id,
      user_id: row.user_id,
      action: row.action,
      resource: row.resource,
      ip_address: row.ip_address,
      request_id: row.details?.request_id,
      timestamp: row.created_at.toISOString(),
    });
  }
}

/** The request wrote its own audit row: no generic failure row for it (AuditInterceptor). */
function markRecorded() {
  const scope = auditScope.getStore();
  if (scope) scope.recorded = true;
}
