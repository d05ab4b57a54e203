import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CredentialsModule } from '../credentials/credentials.module';
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
  imports: [UsersModule, SessionsModule, CredentialsModule, AuditModule],
  controllers: [MfaController],
  providers: [MfaService, MfaChallengesService, MfaCredentialsRepository, MfaChallengesRepository],
  exports: [MfaService, MfaChallengesService],
})
export class MfaModule {}
