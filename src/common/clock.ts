import { Injectable } from '@nestjs/common';

/**
 * The time that time-based rules read (TOTP steps, MFA challenge expiry). One injectable
 * provider, so tests move time by replacing `now` on the app's instance instead of sleeping.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
