import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { PasswordService } from '../auth/password.service';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { MfaChallengesRepository } from './mfa-challenges.repository';
import { MfaChallengesService } from './mfa-challenges.service';
import { MfaController } from './mfa.controller';
import { MfaCredentialsRepository } from './mfa-credentials.repository';
import { MfaService } from './mfa.service';

/**
 * Two-factor authentication: TOTP enrolment, recovery codes, the admin reset, and the
 * challenge of the login's second step (which AuthModule drives).
 */
@Module({
  imports: [UsersModule, SessionsModule, AuditModule],
  controllers: [MfaController],
  providers: [
    MfaService,
    MfaChallengesService,
    MfaCredentialsRepository,
    MfaChallengesRepository,
    // TODO(#14): import the credentials module's PasswordService once it is on main.
    PasswordService,
  ],
  exports: [MfaService, MfaChallengesService],
})
export class MfaModule {}
