import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '../audit/audit.module';
import { CredentialsModule } from '../credentials/credentials.module';
import { DevicesModule } from '../devices/devices.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtStrategy } from './jwt.strategy';
import { RefreshGraceService } from './refresh-grace.service';
import { TokenService } from './token.service';

@Module({
  imports: [
    PassportModule,
    JwtModule.register({}),
    CredentialsModule,
    UsersModule,
    SessionsModule,
    AuditModule,
    DevicesModule,
  ],
  controllers: [AuthController],
  providers: [AuthService, TokenService, RefreshGraceService, JwtStrategy],
})
export class AuthModule {}
