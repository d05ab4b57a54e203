import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CredentialsModule } from '../credentials/credentials.module';
import { DevicesModule } from '../devices/devices.module';
import { EmailTokensModule } from '../email-tokens/email-tokens.module';
import { MfaModule } from '../mfa/mfa.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { UsersModule } from '../users/users.module';
import { AccessTokenVerifier } from './access-token.verifier';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { IntrospectionController } from './introspection.controller';
import { RefreshGraceService } from './refresh-grace.service';
import { TokenService } from './token.service';

@Module({
  imports: [
    CredentialsModule,
    UsersModule,
    SessionsModule,
    AuditModule,
    EmailTokensModule,
    SigningKeysModule,
    DevicesModule,
    MfaModule,
  ],
  controllers: [AuthController, IntrospectionController],
  providers: [AuthService, TokenService, RefreshGraceService, AccessTokenVerifier],
  exports: [AccessTokenVerifier],
})
export class AuthModule {}
