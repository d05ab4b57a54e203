import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { RevocationService } from './revocation.service';
import { SessionEntity } from './session.entity';
import { SessionsCleanupService } from './sessions-cleanup.service';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([SessionEntity]), AuditModule],
  controllers: [SessionsController],
  providers: [SessionsRepository, SessionsService, RevocationService, SessionsCleanupService],
  exports: [SessionsService],
})
export class SessionsModule {}
