import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { ClientInfo } from '../common/decorators';
import type { AuditAction } from './audit-actions';
import { AuditLogEntity } from './audit-log.entity';
import { redactSecrets } from './redact';

export interface AuditEvent {
  userId: string | null;
  action: AuditAction;
  resource?: string;
  details?: Record<string, unknown>;
  client?: ClientInfo;
}

/** The guide's `log_audit_event`: one row in audit_logs plus one structured log line. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Writes the row with `manager`, so a state change and its audit row commit together.
   * Without a manager the row is written on its own (events that change no state).
   */
  async record(manager: EntityManager | null, event: AuditEvent): Promise<void> {
    const details = redactSecrets({
      ...(event.details ?? {}),
      ...(event.client ? { request_id: event.client.requestId } : {}),
    });
    const row = {
      userId: event.userId,
      action: event.action,
      resource: event.resource ?? null,
      details,
      ipAddress: event.client?.ip ?? null,
      userAgent: event.client?.userAgent ?? null,
    };
    await (manager ?? this.dataSource.manager).insert(AuditLogEntity, row);
    this.logger.log({
      msg: 'audit_event',
      user_id: row.userId,
      action: row.action,
      resource: row.resource,
      ip_address: row.ipAddress,
      request_id: event.client?.requestId,
    });
  }

  /** For events without a state change: never fails or delays the request it describes. */
  recordDetached(event: AuditEvent): void {
    this.record(null, event).catch((err: Error) =>
      this.logger.error(`audit write failed for ${event.action}: ${err.message}`),
    );
  }
}
