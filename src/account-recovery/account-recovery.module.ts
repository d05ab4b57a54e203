import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CredentialsModule } from '../credentials/credentials.module';
import { DevicesModule } from '../devices/devices.module';
import { EmailTokensModule } from '../email-tokens/email-tokens.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AccountRecoveryController, EmailChangeController } from './account-recovery.controller';
import { AccountRecoveryService } from './account-recovery.service';

/** Password reset, email verification and email change (the mailed-link flows). */
@Module({
  imports: [
    CredentialsModule,
    DevicesModule,
    EmailTokensModule,
    UsersModule,
    SessionsModule,
    AuditModule,
  ],
  controllers: [AccountRecoveryController, EmailChangeController],
  providers: [AccountRecoveryService],
})
export class AccountRecoveryModule {}
