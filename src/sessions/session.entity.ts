import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CreatedAtColumn, OwnedByUser, TimestampColumn } from '../common/entity-columns';

/**
 * The guide's `user_sessions` table. One row is one login session: `jti` is the id of its
 * current refresh token, `refresh_token_hash` its SHA-256 (added by a later migration).
 */
@Entity('user_sessions')
@Unique('user_sessions_jti_key', ['jti'])
@Check('user_sessions_token_type_check', `"token_type" IN ('access', 'refresh')`)
@Index('idx_sessions_user_id', ['userId'])
@Index('idx_sessions_jti', ['jti'])
@Index('idx_sessions_expires_at', ['expiresAt'])
export class SessionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'user_sessions_pkey' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @OwnedByUser('user_sessions_user_id_fkey')
  user?: object;

  @Column({ type: 'varchar', length: 255 })
  jti: string;

  @Column({ name: 'token_type', type: 'varchar', length: 20 })
  tokenType: 'access' | 'refresh';

  @TimestampColumn('expires_at')
  expiresAt: Date;

  @CreatedAtColumn({ nullable: true })
  createdAt: Date;

  @TimestampColumn('last_used', { nullable: true, default: () => 'now()' })
  lastUsed: Date;

  @Column({ name: 'ip_address', type: 'inet', nullable: true })
  ipAddress: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;

  @Column({ name: 'is_active', type: 'boolean', nullable: true, default: true })
  isActive: boolean;

  @Column({ name: 'refresh_token_hash', type: 'varchar', length: 64, nullable: true })
  refreshTokenHash: string | null;

  /** How the session was authenticated: space-separated RFC 8176 values (`pwd`, `otp`). */
  @Column({ type: 'varchar', length: 64, default: 'pwd' })
  amr: string;

  @TimestampColumn('revoked_at', { nullable: true })
  revokedAt: Date | null;

  /** The pair the previous refresh token was rotated into, sealed under that token (RefreshGrace). */
  @Column({ name: 'grace_pair', type: 'text', nullable: true })
  gracePair: string | null;
}
