import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Single-use email tokens (verification, password reset, email change), stored only as
 * SHA-256 hashes, and the durable outbox their mails wait in until the sender delivers them.
 */
export class EmailTokensAndMailOutbox1733200000000 implements MigrationInterface {
  name = 'EmailTokensAndMailOutbox1733200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE email_tokens (
        id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind VARCHAR(20) NOT NULL
          CONSTRAINT email_tokens_kind_check
          CHECK (kind IN ('verify_email', 'password_reset', 'email_change')),
        token_hash VARCHAR(64) NOT NULL CONSTRAINT email_tokens_token_hash_key UNIQUE,
        email VARCHAR(255) NOT NULL,
        new_email VARCHAR(255),
        expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
        used_at TIMESTAMP WITH TIME ZONE,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
      )`);
    await db.query(`CREATE INDEX idx_email_tokens_user_kind ON email_tokens(user_id, kind)`);

    await db.query(`
      CREATE TABLE mail_outbox (
        id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        recipient VARCHAR(255) NOT NULL,
        subject VARCHAR(255) NOT NULL,
        text_body TEXT,
        html_body TEXT,
        status VARCHAR(10) NOT NULL DEFAULT 'pending'
          CONSTRAINT mail_outbox_status_check CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
        last_error VARCHAR(255),
        created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
        sent_at TIMESTAMP WITH TIME ZONE
      )`);
    await db.query(`CREATE INDEX idx_mail_outbox_due ON mail_outbox(status, next_attempt_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE mail_outbox`);
    await db.query(`DROP TABLE email_tokens`);
  }
}
