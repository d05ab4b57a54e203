import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { AppError } from '../common/app-error';
import { ApiOp } from '../common/api-operation';
import { Auth } from '../common/decorators';
import { ErrorResponse } from '../common/error-response.dto';
import { verifyChain } from './audit-chain.repository';
import { AuditLogsRepository } from './audit-logs.repository';
import { AuditSealer } from './audit-sealer.service';
import { AuditLogListDto, AuditVerifyDto, ListAuditLogsQueryDto } from './dto/audit-logs.dto';

@ApiTags('audit')
@Controller('api/audit-logs')
export class AuditController {
  constructor(
    private readonly logs: AuditLogsRepository,
    private readonly dataSource: DataSource,
    private readonly sealer: AuditSealer,
  ) {}

  @Get()
  @ApiOp({ id: 'listAuditLogs', summary: 'Search the audit trail, newest first (admin)' })
  @Auth('admin')
  @ApiOkResponse({ type: AuditLogListDto })
  @ApiBadRequestResponse({ type: ErrorResponse })
  async list(@Query() query: ListAuditLogsQueryDto) {
    if (query.from && query.to && new Date(query.from) > new Date(query.to)) {
      throw AppError.validation([{ field: 'to', message: 'to must not be before from' }]);
    }
    const { rows, total } = await this.logs.list(query);
    return { data: rows, page: query.page, limit: query.limit, total };
  }

  @Get('verify')
  @ApiOp({ id: 'verifyAuditChain', summary: 'Check the audit hash chain (admin)' })
  @Auth('admin')
  @ApiOkResponse({
    type: AuditVerifyDto,
    description: 'Seals committed rows, then walks the hash chain from the last pruning checkpoint',
  })
  async verify() {
    await this.sealer.sealNow();
    return verifyChain(this.dataSource);
  }
}
