import { Global, Module } from '@nestjs/common';
import { Clock } from './clock';

/** The one source of time for time-based rules, replaceable in tests. */
@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
