import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { UsersModule } from './users.module';

/**
 * User administration and the first admin. Its own module because it needs the lockout
 * from AuthModule, which itself imports UsersModule.
 */
@Module({
  imports: [UsersModule, SessionsModule, AuthModule, AuditModule],
  controllers: [AdminUsersController],
  providers: [AdminUsersService, AdminBootstrapService],
})
export class AdminUsersModule {}
