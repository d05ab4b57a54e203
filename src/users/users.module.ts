import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CredentialsModule } from '../credentials/credentials.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [CredentialsModule, SessionsModule, AuditModule],
  controllers: [UsersController, AdminUsersController],
  providers: [UsersRepository, UsersService, AdminUsersService, AdminBootstrapService],
  exports: [UsersService],
})
export class UsersModule {}
