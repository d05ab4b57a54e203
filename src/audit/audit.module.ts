import { Module } from '@nestjs/common';
import { AuditLogsRepository } from './audit-logs.repository';
import { AuditRetentionService } from './audit-retention.service';
import { AuditController } from './audit.controller';
import { AuditSealer } from './audit-sealer.service';
import { AuditService } from './audit.service';

@Module({
  controllers: [AuditController],
  providers: [AuditService, AuditSealer, AuditLogsRepository, AuditRetentionService],
  exports: [AuditService],
})
export class AuditModule {}
