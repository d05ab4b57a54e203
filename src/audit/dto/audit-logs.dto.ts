import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  COUNT_PROPERTY,
  DATE_TIME_PROPERTY,
  HASH_PROPERTY,
  IP_PROPERTY,
  USER_AGENT_PROPERTY,
  UUID_PATTERN,
  UUID_PROPERTY,
} from '../../common/api-schema';
import { MAX_PAGE_SIZE, PaginationQueryDto } from '../../common/pagination.dto';
import { IsIn, IsISO8601, IsOptional, Matches } from 'class-validator';
import { AUDIT_ACTIONS, type AuditAction } from '../audit-actions';

export class ListAuditLogsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    ...UUID_PROPERTY,
    pattern: UUID_PATTERN,
    description: 'The user the events are about (any UUID, as for path ids)',
  })
  @IsOptional()
  @Matches(new RegExp(UUID_PATTERN), { message: 'user_id must be a UUID' })
  user_id?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS, { message: `action must be one of: ${AUDIT_ACTIONS.join(', ')}` })
  action?: AuditAction;

  @ApiPropertyOptional({
    ...DATE_TIME_PROPERTY,
    description: 'Inclusive lower bound (ISO-8601)',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  from?: string;

  @ApiPropertyOptional({
    ...DATE_TIME_PROPERTY,
    description: 'Exclusive upper bound (ISO-8601)',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  to?: string;
}

export class AuditLogDto {
  @ApiProperty(UUID_PROPERTY) id: string;
  @ApiProperty({
    type: String,
    ...UUID_PROPERTY,
    nullable: true,
    description: 'The user the event is about',
  })
  user_id: string | null;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action: string;
  @ApiProperty({ type: String, nullable: true, maxLength: 100, example: 'user' }) resource:
    string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'request_id; actor_id for admin actions; never a password, hash or token',
  })
  details: Record<string, unknown> | null;
  @ApiProperty({ type: String, nullable: true, ...IP_PROPERTY }) ip_address: string | null;
  @ApiProperty({ type: String, nullable: true, ...USER_AGENT_PROPERTY }) user_agent: string | null;
  @ApiProperty(DATE_TIME_PROPERTY) created_at: string;
}

export class AuditLogListDto {
  @ApiProperty({ type: [AuditLogDto], maxItems: MAX_PAGE_SIZE }) data: AuditLogDto[];
  @ApiProperty({ ...COUNT_PROPERTY, minimum: 1, example: 1 }) page: number;
  @ApiProperty({ ...COUNT_PROPERTY, minimum: 1, maximum: MAX_PAGE_SIZE, example: 20 })
  limit: number;
  @ApiProperty({ ...COUNT_PROPERTY, example: 42 }) total: number;
}

export class AuditVerifyDto {
  @ApiProperty({ description: 'true when every row from the checkpoint on is intact' })
  valid: boolean;
  @ApiProperty({ ...COUNT_PROPERTY, description: 'Rows checked before the first bad one (or all)' })
  checked: number;
  @ApiProperty({ type: String, ...UUID_PROPERTY, nullable: true }) first_bad_id: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    // OpenAPI 3.0: `nullable` does not add null to an enum; it must be listed.
    enum: ['hash_mismatch', 'broken_link', 'sequence_gap', 'before_checkpoint', null],
    description: 'Why the first bad row is bad; null when the chain is intact',
  })
  reason: string | null;
  @ApiProperty({
    ...COUNT_PROPERTY,
    description: 'seq of the pruning checkpoint the walk started from (0: none)',
  })
  from_seq: number;
  @ApiProperty({ ...COUNT_PROPERTY, description: 'seq of the last intact row' }) last_seq: number;
  @ApiProperty({
    ...HASH_PROPERTY,
    description: 'hash of the last intact row: compare with your log archive',
  })
  last_hash: string;
}
