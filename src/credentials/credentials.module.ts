import { Module } from '@nestjs/common';
import { LockoutService } from './lockout.service';
import { PasswordService } from './password.service';

/** Password hashing, the password policy and the failed-login lockout, for auth and users. */
@Module({
  providers: [PasswordService, LockoutService],
  exports: [PasswordService, LockoutService],
})
export class CredentialsModule {}
