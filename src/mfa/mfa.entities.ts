import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CreatedAtColumn, OwnedByUser, TimestampColumn } from '../common/entity-columns';
import { UserEntity } from '../users/user.entity';

/** A user's TOTP secret, sealed by SecretBox; active once `users.two_factor_enabled` is true. */
@Entity('mfa_totp_credentials')
export class TotpCredentialEntity {
  @PrimaryColumn({
    name: 'user_id',
    type: 'uuid',
    primaryKeyConstraintName: 'mfa_totp_credentials_pkey',
  })
  userId: string;

  @OwnedByUser('mfa_totp_credentials_user_id_fkey')
  user?: UserEntity;

  @Column({ name: 'secret_encrypted', type: 'text' })
  secretEncrypted: string;

  /** Last accepted time step (bigint: pg returns it as a string). */
  @Column({ name: 'last_step', type: 'bigint', nullable: true })
  lastStep: string | null;

  @CreatedAtColumn()
  createdAt: Date;
}

@Entity('mfa_recovery_codes')
@Unique('mfa_recovery_codes_user_code_key', ['userId', 'codeHash'])
export class RecoveryCodeEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'mfa_recovery_codes_pkey' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @OwnedByUser('mfa_recovery_codes_user_id_fkey')
  user?: UserEntity;

  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @TimestampColumn('used_at', { nullable: true })
  usedAt: Date | null;

  @CreatedAtColumn()
  createdAt: Date;
}

/** A pending second login step; `token_hash` is the SHA-256 of the `mfa_token`. */
@Entity('mfa_challenges')
@Unique('mfa_challenges_token_hash_key', ['tokenHash'])
@Index('idx_mfa_challenges_expires_at', ['expiresAt'])
export class MfaChallengeEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'mfa_challenges_pkey' })
  id: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @OwnedByUser('mfa_challenges_user_id_fkey')
  user?: UserEntity;

  /** The trusted device the password step was made from, if any (device tokens). */
  @Column({ name: 'device_id', type: 'uuid', nullable: true })
  deviceId: string | null;

  @TimestampColumn('expires_at')
  expiresAt: Date;

  @Column({ name: 'failed_attempts', type: 'integer', default: 0 })
  failedAttempts: number;

  @TimestampColumn('consumed_at', { nullable: true })
  consumedAt: Date | null;

  @CreatedAtColumn()
  createdAt: Date;
}
