import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PaginationQueryDto } from '../../common/pagination.dto';
import { IsIn, IsISO8601, IsOptional, IsUUID } from 'class-validator';
import { AUDIT_ACTIONS, type AuditAction } from '../audit-actions';

export class ListAuditLogsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The user the events are about' })
  @IsOptional()
  @IsUUID()
  user_id?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS, { message: `action must be one of: ${AUDIT_ACTIONS.join(', ')}` })
  action?: AuditAction;

  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive lower bound (ISO-8601)' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive upper bound (ISO-8601)' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  to?: string;
}

export class AuditLogDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The user the event is about',
  })
  user_id: string | null;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action: string;
  @ApiProperty({ type: String, nullable: true }) resource: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'request_id; actor_id for admin actions; never a password, hash or token',
  })
  details: Record<string, unknown> | null;
  @ApiProperty({ type: String, nullable: true }) ip_address: string | null;
  @ApiProperty({ type: String, nullable: true }) user_agent: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class AuditLogListDto {
  @ApiProperty({ type: [AuditLogDto] }) data: AuditLogDto[];
  @ApiProperty({ example: 1 }) page: number;
  @ApiProperty({ example: 20 }) limit: number;
  @ApiProperty({ example: 42 }) total: number;
}

export class AuditVerifyDto {
  @ApiProperty({ description: 'true when every row from the checkpoint on is intact' })
  valid: boolean;
  @ApiProperty({ description: 'Rows checked before the first bad one (or all)' }) checked: number;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) first_bad_id: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['hash_mismatch', 'broken_link', 'sequence_gap', 'before_checkpoint'],
  })
  reason: string | null;
  @ApiProperty({ description: 'seq of the pruning checkpoint the walk started from (0: none)' })
  from_seq: number;
  @ApiProperty({ description: 'seq of the last intact row' }) last_seq: number;
  @ApiProperty({ description: 'hash of the last intact row: compare with your log archive' })
  last_hash: string;
}
