import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import type { ClientInfo } from '../common/decorators';
import { MfaChallengesRepository } from './mfa-challenges.repository';
import { MfaMethod, MfaProof, MfaService } from './mfa.service';

export const MFA_TOKEN_TTL_SECONDS = 300;
export const MFA_TOKEN_MAX_FAILURES = 5;

export interface MfaChallengeResponse {
  message: 'MFA required';
  mfa_required: true;
  mfa_token: string;
  expires_in: number;
}

export type RedeemOutcome =
  { ok: true; method: MfaMethod } | { ok: false; failures: number; tokenDead: boolean };

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const badToken = () => AppError.invalidToken('Invalid, expired or used mfa_token');

/**
 * The second login step: a single-use `mfa_token` (stored as its SHA-256), alive for
 * 300 s and dead after 5 wrong codes. Kept in the database so any replica can redeem it.
 */
@Injectable()
export class MfaChallengesService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly challenges: MfaChallengesRepository,
    private readonly mfa: MfaService,
    private readonly clock: Clock,
  ) {}

  /** `deviceId`: the trusted device of the password step, handed back by `find`. */
  async issue(userId: string, deviceId: string | null = null): Promise<MfaChallengeResponse> {
    const now = this.clock.now();
    const token = randomBytes(32).toString('base64url');
    await this.challenges.purgeEnded(new Date(now.getTime() - MFA_TOKEN_TTL_SECONDS * 1000));
    await this.challenges.create({
      tokenHash: hashToken(token),
      userId,
      deviceId,
      expiresAt: new Date(now.getTime() + MFA_TOKEN_TTL_SECONDS * 1000),
    });
    return {
      message: 'MFA required',
      mfa_required: true,
      mfa_token: token,
      expires_in: MFA_TOKEN_TTL_SECONDS,
    };
  }

  /** The user a live `mfa_token` belongs to, and its trusted device; 401 INVALID_TOKEN else. */
  async find(token: string): Promise<{ userId: string; deviceId: string | null }> {
    const challenge = await this.challenges.findByTokenHash(hashToken(token));
    if (!challenge || !this.isLive(challenge)) throw badToken();
    return { userId: challenge.userId, deviceId: challenge.deviceId };
  }

  /**
   * Checks the second factor against a live challenge, under its row lock: a right one
   * consumes the challenge and the code together; a wrong one counts against the token.
   */
  async redeem(token: string, proof: MfaProof, client: ClientInfo): Promise<RedeemOutcome> {
    return this.txHost.withTransaction(async () => {
      const challenge = await this.challenges.lockByTokenHash(hashToken(token));
      if (!challenge || !this.isLive(challenge)) throw badToken();
      const method = await this.mfa.consume(challenge.userId, proof, client, 'login');
      if (method) {
        await this.challenges.markConsumed(challenge.id, this.clock.now());
        return { ok: true as const, method };
      }
      const failures = await this.challenges.countFailure(challenge.id);
      return { ok: false as const, failures, tokenDead: failures >= MFA_TOKEN_MAX_FAILURES };
    });
  }

  private isLive(challenge: { expiresAt: Date; failedAttempts: number; consumedAt: Date | null }) {
    return (
      !challenge.consumedAt &&
      challenge.failedAttempts < MFA_TOKEN_MAX_FAILURES &&
      challenge.expiresAt.getTime() > this.clock.now().getTime()
    );
  }
}
