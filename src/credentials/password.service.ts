import { Injectable } from '@nestjs/common';
import * as bcrypt from 'bcrypt';
import { AppConfig } from '../config/app-config';
import { PASSWORD_MAX_BYTES } from './password-policy';

@Injectable()
export class PasswordService {
  /** Compared against when the user is unknown, so that path costs one bcrypt too. */
  private readonly dummyHash: Promise<string>;

  constructor(private readonly config: AppConfig) {
    this.dummyHash = bcrypt.hash('timing-equaliser-not-a-password', config.bcryptRounds);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.config.bcryptRounds);
  }

  /**
   * Always spends one bcrypt comparison at the configured cost. Passwords past bcrypt's
   * 72-byte limit never match (bcrypt would silently compare only their first 72 bytes).
   */
  async verify(password: string, hash: string | null): Promise<boolean> {
    const tooLong = Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES;
    const target = hash && !tooLong ? hash : await this.dummyHash;
    const matches = await bcrypt.compare(password, target);
    return matches && !!hash && !tooLong;
  }

  needsRehash(hash: string): boolean {
    return bcrypt.getRounds(hash) < this.config.bcryptRounds;
  }
}
