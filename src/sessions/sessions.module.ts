import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { RevocationService } from './revocation.service';
import { SessionsCleanupService } from './sessions-cleanup.service';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [AuditModule],
  controllers: [SessionsController],
  providers: [SessionsRepository, SessionsService, RevocationService, SessionsCleanupService],
  exports: [SessionsService],
})
export class SessionsModule {}
