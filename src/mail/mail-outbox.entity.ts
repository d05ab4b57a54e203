import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAtColumn, TimestampColumn } from '../common/entity-columns';

export type MailStatus = 'pending' | 'sent' | 'failed';

/**
 * One message of the durable outbox. `next_attempt_at` doubles as the claim lease: a sender
 * moves it forward when it takes the row, so a crashed sender's message is retried later.
 * The bodies (which carry tokens) are wiped once the message is sent or has failed.
 */
@Entity('mail_outbox')
@Check('mail_outbox_status_check', `"status" IN ('pending', 'sent', 'failed')`)
@Index('idx_mail_outbox_due', ['status', 'nextAttemptAt'])
export class MailOutboxEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'mail_outbox_pkey' })
  id: string;

  @Column({ type: 'varchar', length: 255 })
  recipient: string;

  @Column({ type: 'varchar', length: 255 })
  subject: string;

  @Column({ name: 'text_body', type: 'text', nullable: true })
  textBody: string | null;

  @Column({ name: 'html_body', type: 'text', nullable: true })
  htmlBody: string | null;

  @Column({ type: 'varchar', length: 10, default: 'pending' })
  status: MailStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @TimestampColumn('next_attempt_at', { default: () => 'now()' })
  nextAttemptAt: Date;

  @Column({ name: 'last_error', type: 'varchar', length: 255, nullable: true })
  lastError: string | null;

  @CreatedAtColumn()
  createdAt: Date;

  @TimestampColumn('sent_at', { nullable: true })
  sentAt: Date | null;
}
