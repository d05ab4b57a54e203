import { Injectable } from '@nestjs/common';

/**
 * Clock skew tolerated between replicas (and token issuers) when checking `exp`/`iat`; the
 * revocation list keeps entries this much longer than an access token lives, for the same reason.
 */
export const CLOCK_LEEWAY_SECONDS = 5;

/**
 * The time that time-based rules read (token timestamps, key rotation, TOTP steps, MFA
 * challenge expiry). One injectable provider, so tests move time by replacing `now` on the
 * app's instance instead of sleeping.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
