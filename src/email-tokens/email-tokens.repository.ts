import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EmailTokenKind } from './email-token.entity';

export interface NewEmailToken {
  userId: string;
  kind: EmailTokenKind;
  tokenHash: string;
  email: string;
  newEmail: string | null;
  expiresAt: Date;
}

export interface ConsumedToken {
  userId: string;
  kind: EmailTokenKind;
  /** The address the token was mailed to. */
  email: string;
  newEmail: string | null;
  /** The user's address now (it may have changed since the token was mailed). */
  currentEmail: string;
}

/**
 * Marks the token used and returns it, in one statement: of two parallel uses exactly one
 * gets the row. Unknown, expired, used, or belonging to a deactivated user: no row.
 */
const CONSUME = `
  UPDATE email_tokens t SET used_at = now()
    FROM users u
   WHERE t.token_hash = $1 AND t.kind = ANY($2::varchar[])
     AND t.used_at IS NULL AND t.expires_at > now()
     AND u.id = t.user_id AND u.is_active IS TRUE
  RETURNING t.user_id, t.kind, t.email, t.new_email, u.email AS current_email`;

/** Issuing a token kills every outstanding one of its kind for that user. */
const DELETE_OUTSTANDING = `
  DELETE FROM email_tokens WHERE user_id = $1 AND kind = ANY($2::varchar[]) AND used_at IS NULL`;

/** The row is written only when `$7` is true: see EmailTokensService.issue (equal work). */
const INSERT_IF = `
  INSERT INTO email_tokens (user_id, kind, token_hash, email, new_email, expires_at)
  SELECT $1, $2, $3, $4, $5, $6 WHERE $7::boolean`;

/** Every statement runs in the caller's (ambient) transaction. */
@Injectable()
export class EmailTokensRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async replace(token: NewEmailToken, write = true): Promise<void> {
    await this.txHost.tx.query(DELETE_OUTSTANDING, [token.userId, [token.kind]]);
    await this.txHost.tx.query(INSERT_IF, [
      token.userId,
      token.kind,
      token.tokenHash,
      token.email,
      token.newEmail,
      token.expiresAt,
      write,
    ]);
  }

  async consume(tokenHash: string, kinds: EmailTokenKind[]): Promise<ConsumedToken | null> {
    const [rows] = await this.txHost.tx.query<[Array<Record<string, string | null>>, number]>(
      CONSUME,
      [tokenHash, kinds],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      userId: row.user_id!,
      kind: row.kind as EmailTokenKind,
      email: row.email!,
      newEmail: row.new_email,
      currentEmail: row.current_email!,
    };
  }

  /** Every outstanding token of the user (its address changed: old links must die). */
  async deleteOutstanding(userId: string): Promise<void> {
    await this.txHost.tx.query(DELETE_OUTSTANDING, [
      userId,
      ['verify_email', 'password_reset', 'email_change'],
    ]);
  }
}
