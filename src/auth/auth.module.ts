import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '../audit/audit.module';
import { MfaModule } from '../mfa/mfa.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtStrategy } from './jwt.strategy';
import { LockoutService } from './lockout.service';
import { PasswordService } from './password.service';
import { TokenService } from './token.service';

@Module({
  imports: [
    PassportModule,
    JwtModule.register({}),
    UsersModule,
    SessionsModule,
    AuditModule,
    MfaModule,
  ],
  controllers: [AuthController],
  providers: [AuthService, PasswordService, TokenService, LockoutService, JwtStrategy],
  exports: [PasswordService, LockoutService],
})
export class AuthModule {}
