import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { Clock } from '../common/clock';
import { SecretBox } from '../common/secret-box';
import { AppConfig } from '../config/app-config';
import { SessionsModule } from '../sessions/sessions.module';
import { SigningKeysRepository } from './signing-keys.repository';
import { SigningKeysService } from './signing-keys.service';
import { WellKnownController } from './well-known.controller';

@Module({
  imports: [AuditModule, SessionsModule],
  controllers: [WellKnownController],
  providers: [
    SigningKeysRepository,
    SigningKeysService,
    Clock,
    {
      provide: SecretBox,
      inject: [AppConfig],
      useFactory: (c: AppConfig) => new SecretBox(c.secretsKey),
    },
  ],
  exports: [SigningKeysService, Clock],
})
export class SigningKeysModule {}
