import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SigningKeysRepository } from './signing-keys.repository';
import { SigningKeysService } from './signing-keys.service';
import { WellKnownController } from './well-known.controller';

/** Managed signing keys (RS256/ES256/EdDSA) and the routes that publish them. SecretBox: CryptoModule. */
@Module({
  imports: [AuditModule, SessionsModule],
  controllers: [WellKnownController],
  providers: [SigningKeysRepository, SigningKeysService],
  exports: [SigningKeysService],
})
export class SigningKeysModule {}
