import { AsyncResource } from 'node:async_hooks';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { ClaimedMail, MailOutboxRepository } from './mail-outbox.repository';
import { MailTransport } from './mail-transport';

const BATCH_SIZE = 10;
/** How long shutdown waits for a delivery in flight; its lease brings it back otherwise. */
const STOP_WAIT_MS = 3000;

/** SMTP errors that retrying cannot fix (5xx: mailbox unknown, message refused). */
const isPermanent = (err: unknown) => {
  const code = (err as { responseCode?: number }).responseCode;
  return typeof code === 'number' && code >= 500;
};

/** What may be logged and stored about a failure: never the message, never a token. */
const describe = (err: unknown) => {
  const { code, responseCode, message } = err as {
    code?: string;
    responseCode?: number;
    message?: string;
  };
  return [code, responseCode, message].filter(Boolean).join(' ').slice(0, 255);
};

export const MAIL_TRANSPORT = Symbol('MAIL_TRANSPORT');

/**
 * The background sender: one per replica. Every MAIL_POLL_INTERVAL_MS (and at once after a
 * request queued a message) it claims due messages, delivers them and records the outcome.
 * A failed delivery waits MAIL_RETRY_BASE_MS · 2^(attempt−1) (capped at MAIL_RETRY_MAX_MS);
 * after MAIL_MAX_ATTEMPTS tries, or a permanent SMTP refusal, the message is failed.
 */
@Injectable()
export class MailSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MailSender');
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private wakeRequested = false;
  private stopped = false;
  /**
   * Runs the timer in the context the sender was built in: a wake() from a request would
   * otherwise carry that request's async context (its log fields, its audit scope) into
   * every later poll.
   */
  private readonly detached = AsyncResource.bind((fn: () => void) => fn());

  constructor(
    private readonly outbox: MailOutboxRepository,
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport | null,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap() {
    if (!this.transport) {
      if (this.config.env === 'production') {
        this.logger.warn('SMTP_URL is not set: mails wait in the outbox until it is');
      }
      return;
    }
    this.schedule(0);
  }

  async onModuleDestroy() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running) {
      await Promise.race([this.running, new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
    }
    this.transport?.close();
  }

  /** A message was committed: deliver it now rather than at the next poll. */
  wake() {
    if (!this.transport || this.stopped) return;
    if (this.running) this.wakeRequested = true;
    else this.schedule(0);
  }

  /** Delivers everything due now; resolves when done (also used by tests and the CLI). */
  async runOnce(): Promise<void> {
    if (!this.transport) return;
    for (;;) {
      const batch = await this.outbox.claimDue(this.config.mail.leaseSeconds, BATCH_SIZE);
      for (const mail of batch) await this.deliver(mail);
      if (batch.length < BATCH_SIZE || this.stopped) return;
    }
  }

  private schedule(delayMs: number) {
    clearTimeout(this.timer);
    this.detached(() => {
      this.timer = setTimeout(() => this.tick(), delayMs);
      this.timer.unref();
    });
  }

  private tick() {
    this.wakeRequested = false;
    this.running = this.runOnce()
      .catch((err: Error) => this.logger.warn(`outbox poll failed: ${err.message}`))
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.schedule(this.wakeRequested ? 0 : this.config.mail.pollIntervalMs);
      });
  }

  private async deliver(mail: ClaimedMail) {
    try {
      await this.transport!.send({
        to: mail.recipient,
        subject: mail.subject,
        text: mail.text_body,
        html: mail.html_body,
      });
    } catch (err) {
      await this.recordFailure(mail, err);
      return;
    }
    await this.outbox.markSent(mail.id);
    this.metrics.mailDelivered('sent');
  }

  private async recordFailure(mail: ClaimedMail, err: unknown) {
    const error = describe(err);
    const { maxAttempts, retryBaseMs, retryMaxMs } = this.config.mail;
    if (isPermanent(err) || mail.attempts >= maxAttempts) {
      await this.outbox.markFailed(mail.id, error);
      this.metrics.mailDelivered('failed');
      this.logger.error(
        `mail ${mail.id} failed after ${mail.attempts} attempt(s), not retried: ${error}`,
      );
      return;
    }
    const delayMs = Math.min(retryBaseMs * 2 ** (mail.attempts - 1), retryMaxMs);
    await this.outbox.scheduleRetry(mail.id, delayMs, error);
    this.metrics.mailDelivered('retried');
    this.logger.warn(
      `mail ${mail.id} attempt ${mail.attempts} failed, retrying in ${delayMs} ms: ${error}`,
    );
  }
}
