import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { UsersModule } from '../users/users.module';
import { AccessTokenVerifier } from './access-token.verifier';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { IntrospectionController } from './introspection.controller';
import { LockoutService } from './lockout.service';
import { PasswordService } from './password.service';
import { TokenService } from './token.service';

@Module({
  imports: [UsersModule, SessionsModule, AuditModule, SigningKeysModule],
  controllers: [AuthController, IntrospectionController],
  providers: [AuthService, PasswordService, TokenService, LockoutService, AccessTokenVerifier],
  exports: [PasswordService, LockoutService, AccessTokenVerifier],
})
export class AuthModule {}
