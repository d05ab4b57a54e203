import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { AuditLogEntity } from './audit-log.entity';
import { AuditLogDto, ListAuditLogsQueryDto } from './dto/audit-logs.dto';

@Injectable()
export class AuditLogsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get repo() {
    return this.txHost.tx.getRepository(AuditLogEntity);
  }

  /** Newest first (seq breaks ties); each filter is served by one of the guide's indexes. */
  async list(query: ListAuditLogsQueryDto): Promise<{ rows: AuditLogDto[]; total: number }> {
    const qb = this.repo.createQueryBuilder('a');
    if (query.user_id) qb.andWhere('a.user_id = :userId', { userId: query.user_id });
    if (query.action) qb.andWhere('a.action = :action', { action: query.action });
    if (query.from) qb.andWhere('a.created_at >= :from', { from: new Date(query.from) });
    if (query.to) qb.andWhere('a.created_at < :to', { to: new Date(query.to) });
    // COUNT(*) rather than getManyAndCount's COUNT(DISTINCT id): index-only scans.
    const counted = await qb
      .clone()
      .select('COUNT(*)::int', 'total')
      .getRawOne<{ total: number }>();
    const rows = await qb
      .orderBy('a.created_at', 'DESC')
      .addOrderBy('a.seq', 'DESC')
      .offset((query.page - 1) * query.limit)
      .limit(query.limit)
      .getMany();
    const total = counted?.total ?? 0;
    return { rows: rows.map(toAuditLogDto), total };
  }
}

export function toAuditLogDto(row: AuditLogEntity): AuditLogDto {
  return {
    id: row.id,
    user_id: row.userId,
    action: row.action,
    resource: row.resource,
    details: row.details,
    ip_address: row.ipAddress,
    user_agent: row.userAgent,
    created_at: new Date(row.createdAt).toISOString(),
  };
}
