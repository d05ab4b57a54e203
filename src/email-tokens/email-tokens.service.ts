import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AppConfig } from '../config/app-config';
import { MailerService } from '../mail/mailer.service';
import type { EmailTokenKind } from './email-token.entity';
import { ConsumedToken, EmailTokensRepository } from './email-tokens.repository';

/** 256 random bits, base64url: 43 URL-safe characters. */
const TOKEN_BYTES = 32;
/** A nil user id for the equal-work path: matches no row. */
const NO_USER = '00000000-0000-0000-0000-000000000000';

export const hashEmailToken = (token: string) => createHash('sha256').update(token).digest('hex');

interface Recipient {
  id: string;
  email: string;
}

/**
 * Issues and consumes the single-use tokens mailed to users, and queues the mails that
 * carry them (or report a change). Everything joins the caller's transaction: a token and
 * its mail commit together or not at all.
 */
@Injectable()
export class EmailTokensService {
  constructor(
    private readonly tokens: EmailTokensRepository,
    private readonly mailer: MailerService,
    private readonly config: AppConfig,
  ) {}

  @Transactional()
  async queueVerification(user: Recipient): Promise<void> {
    const ttl = this.config.mail.verificationTtlSeconds;
    const token = await this.issue(user, 'verify_email', ttl);
    await this.mailer.enqueue({
      to: user.email,
      template: 'verify-email',
      vars: { email: user.email, link: this.mailer.link('/verify-email', token), ttl: human(ttl) },
    });
  }

  /**
   * The reset mail, or — `user` null — the same statements writing nothing, so that an
   * unknown, inactive or throttled address costs what a real one does.
   */
  @Transactional()
  async queuePasswordReset(email: string, user: Recipient | null): Promise<void> {
    const ttl = this.config.mail.passwordResetTtlSeconds;
    const token = newToken();
    const mail = this.mailer.render({
      to: email,
      template: 'password-reset',
      vars: { email, link: this.mailer.link('/reset-password', token), ttl: human(ttl) },
    });
    await this.tokens.replace(
      {
        userId: user?.id ?? NO_USER,
        kind: 'password_reset',
        tokenHash: hashEmailToken(token),
        email,
        newEmail: null,
        expiresAt: expiresIn(ttl),
      },
      user !== null,
    );
    await this.mailer.enqueueRendered(email, mail, user !== null);
  }

  /** A confirmation link to the new address and a notice to the current one. */
  @Transactional()
  async queueEmailChange(user: Recipient, newEmail: string) {
    const ttl = this.config.mail.verificationTtlSeconds;
    const token = await this.issue(user, 'email_change', ttl, newEmail);
    const vars = { email: user.email, new_email: newEmail, ttl: human(ttl) };
    await this.mailer.enqueue({
      to: newEmail,
      template: 'email-change',
      vars: { ...vars, link: this.mailer.link('/verify-email', token) },
    });
    await this.mailer.enqueue({ to: user.email, template: 'email-change-notice', vars });
  }

  @Transactional()
  async queuePasswordChanged(email: string): Promise<void> {
    await this.mailer.enqueue({
      to: email,
      template: 'password-changed',
      vars: { email },
    });
  }

  /** The token's row if it was valid (it is used from now on), else null. */
  @Transactional()
  consume(token: string, kinds: EmailTokenKind[]): Promise<ConsumedToken | null> {
    return this.tokens.consume(hashEmailToken(token), kinds);
  }

  /** The user's address changed: links mailed to the old one must die. */
  @Transactional()
  revokeOutstanding(userId: string): Promise<void> {
    return this.tokens.deleteOutstanding(userId);
  }

  /** After the transaction that queued mail has committed. */
  deliverSoon() {
    this.mailer.deliverSoon();
  }

  private async issue(
    user: Recipient,
    kind: EmailTokenKind,
    ttlSeconds: number,
    newEmail: string | null = null,
  ): Promise<string> {
    const token = newToken();
    await this.tokens.replace({
      userId: user.id,
      kind,
      tokenHash: hashEmailToken(token),
      email: user.email,
      newEmail,
      expiresAt: expiresIn(ttlSeconds),
    });
    return token;
  }
}

const newToken = () => randomBytes(TOKEN_BYTES).toString('base64url');
const expiresIn = (seconds: number) => new Date(Date.now() + seconds * 1000);

/** "30 minutes", "24 hours", "45 seconds". */
function human(seconds: number): string {
  const [value, unit] =
    seconds % 3600 === 0
      ? [seconds / 3600, 'hour']
      : seconds % 60 === 0
        ? [seconds / 60, 'minute']
        : [seconds, 'second'];
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
}
