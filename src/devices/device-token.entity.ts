import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CreatedAtColumn, OwnedByUser, TimestampColumn } from '../common/entity-columns';

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

  @OwnedByUser('device_tokens_user_id_fkey')
  user?: object;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  /** Wrong passwords sent with this token; at LOCKOUT_MAX_ATTEMPTS the token is revoked. */
  @Column({ name: 'failed_attempts', type: 'integer', default: 0 })
  failedAttempts: number;

  @CreatedAtColumn()
  createdAt: Date;

  @TimestampColumn('expires_at')
  expiresAt: Date;

  @TimestampColumn('revoked_at', { nullable: true })
  revokedAt: Date | null;
}
