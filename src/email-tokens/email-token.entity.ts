import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CreatedAtColumn, OwnedByUser, TimestampColumn } from '../common/entity-columns';
import { UserEntity } from '../users/user.entity';

export const EMAIL_TOKEN_KINDS = ['verify_email', 'password_reset', 'email_change'] as const;
export type EmailTokenKind = (typeof EMAIL_TOKEN_KINDS)[number];

/**
 * A single-use token mailed to `email`; only its SHA-256 is stored. `new_email` is the
 * address an email-change token switches to.
 */
@Entity('email_tokens')
@Unique('email_tokens_token_hash_key', ['tokenHash'])
@Check('email_tokens_kind_check', `"kind" IN ('verify_email', 'password_reset', 'email_change')`)
@Index('idx_email_tokens_user_kind', ['userId', 'kind'])
export class EmailTokenEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'email_tokens_pkey' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @OwnedByUser('email_tokens_user_id_fkey')
  user?: UserEntity;

  @Column({ type: 'varchar', length: 20 })
  kind: EmailTokenKind;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ type: 'varchar', length: 255 })
  email: string;

  @Column({ name: 'new_email', type: 'varchar', length: 255, nullable: true })
  newEmail: string | null;

  @TimestampColumn('expires_at')
  expiresAt: Date;

  @TimestampColumn('used_at', { nullable: true })
  usedAt: Date | null;

  @CreatedAtColumn()
  createdAt: Date;
}
