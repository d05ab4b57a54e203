import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Repository } from 'typeorm';
import { MailOutboxEntity } from './mail-outbox.entity';

export interface NewMail {
  recipient: string;
  subject: string;
  textBody: string;
  htmlBody: string | null;
}

export interface ClaimedMail {
  id: string;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  attempts: number;
}

/**
 * Takes due messages and moves their `next_attempt_at` past the lease in one statement.
 * SKIP LOCKED: replicas claiming at once each get different rows; the lease keeps the row
 * away from every other sender while this one delivers it, and brings it back if the
 * sender dies before recording the outcome.
 */
const CLAIM_DUE = `
  UPDATE mail_outbox
     SET attempts = attempts + 1,
         next_attempt_at = now() + make_interval(secs => $1)
   WHERE id IN (SELECT id FROM mail_outbox
                 WHERE status = 'pending' AND next_attempt_at <= now()
                 ORDER BY next_attempt_at, created_at
                 LIMIT $2
                 FOR UPDATE SKIP LOCKED)
  RETURNING id, recipient, subject, text_body, html_body, attempts`;

const INSERT_IF = `
  INSERT INTO mail_outbox (recipient, subject, text_body, html_body)
  SELECT $1, $2, $3, $4 WHERE $5::boolean`;

@Injectable()
export class MailOutboxRepository {
  constructor(
    @InjectRepository(MailOutboxEntity) private readonly outbox: Repository<MailOutboxEntity>,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {}

  /**
   * Written in the caller's (ambient) transaction, so the message commits with the change it
   * reports. `write = false` runs the same statement without adding a row (equal work).
   */
  async add(mail: NewMail, write = true): Promise<void> {
    await this.txHost.tx.query(INSERT_IF, [
      mail.recipient,
      mail.subject,
      mail.textBody,
      mail.htmlBody,
      write,
    ]);
  }

  async claimDue(leaseSeconds: number, limit: number): Promise<ClaimedMail[]> {
    const [rows] = await this.outbox.query<[ClaimedMail[], number]>(CLAIM_DUE, [
      leaseSeconds,
      limit,
    ]);
    return rows;
  }

  /** Delivered: the bodies (and the tokens in them) are wiped; the mailbox has them now. */
  async markSent(id: string): Promise<void> {
    await this.outbox.update(
      { id },
      { status: 'sent', sentAt: () => 'now()', textBody: null, htmlBody: null, lastError: null },
    );
  }

  async scheduleRetry(id: string, delayMs: number, error: string): Promise<void> {
    await this.outbox
      .createQueryBuilder()
      .update()
      .set({
        nextAttemptAt: () => `now() + make_interval(secs => :delay)`,
        lastError: error,
      })
      .setParameter('delay', delayMs / 1000)
      .where('id = :id', { id })
      .execute();
  }

  /** Given up: kept as a record (recipient, subject, error) without the bodies. */
  async markFailed(id: string, error: string): Promise<void> {
    await this.outbox.update(
      { id },
      { status: 'failed', textBody: null, htmlBody: null, lastError: error },
    );
  }
}
