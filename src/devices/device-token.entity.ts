import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';

/** A device that logged in as this user; the token itself is never stored, only its SHA-256. */
@Entity('device_tokens')
@Unique('device_tokens_token_hash_key', ['tokenHash'])
@Index('idx_device_tokens_user_id', ['userId'])
@Index('idx_device_tokens_expires_at', ['expiresAt'])
export class DeviceTokenEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'device_tokens_pkey' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  // Named, not imported: the foreign key without a dependency on users/.
  @ManyToOne('UserEntity', { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'device_tokens_user_id_fkey' })
  user?: object;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  /** Wrong passwords sent with this token; at LOCKOUT_MAX_ATTEMPTS the token is revoked. */
  @Column({ name: 'failed_attempts', type: 'integer', default: 0 })
  failedAttempts: number;

  @CreateDateColumn({
    name: 'created_at',
    type: 'timestamp with time zone',
    default: () => 'now()',
  })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamp with time zone' })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamp with time zone', nullable: true })
  revokedAt: Date | null;
}
