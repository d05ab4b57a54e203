import { Injectable } from '@nestjs/common';

/**
 * Wall-clock time for token timestamps and key rotation. Tests move it forward instead of
 * sleeping through a rotation period.
 */
@Injectable()
export class Clock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Test seam: every later `now()` is `seconds` further on. */
  advance(seconds: number) {
    this.offsetMs += seconds * 1000;
  }
}
