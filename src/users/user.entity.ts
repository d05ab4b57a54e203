import {
  Check,
  Column,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { CreatedAtColumn, TimestampColumn } from '../common/entity-columns';
import type { Role } from '../common/roles';

/** Mirrors the design guide's `users` table column for column (nullability included). */
@Entity('users')
@Unique('users_email_key', ['email'])
@Check('users_role_check', `"role" IN ('admin', 'user', 'moderator')`)
@Index('idx_users_email', ['email'])
@Index('idx_users_role', ['role'])
@Index('idx_users_created_at', ['createdAt'])
export class UserEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'users_pkey' })
  id: string;

  @Column({ type: 'varchar', length: 255 })
  email: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ name: 'first_name', type: 'varchar', length: 50, nullable: true })
  firstName: string | null;

  @Column({ name: 'last_name', type: 'varchar', length: 50, nullable: true })
  lastName: string | null;

  @Column({ name: 'phone_number', type: 'varchar', length: 20, nullable: true })
  phoneNumber: string | null;

  @Column({ type: 'varchar', length: 20, nullable: true, default: 'user' })
  role: Role;

  @Column({ name: 'email_verified', type: 'boolean', nullable: true, default: false })
  emailVerified: boolean;

  @Column({ name: 'phone_verified', type: 'boolean', nullable: true, default: false })
  phoneVerified: boolean;

  @Column({ name: 'two_factor_enabled', type: 'boolean', nullable: true, default: false })
  twoFactorEnabled: boolean;

  @Column({ type: 'jsonb', nullable: true, default: () => "'{}'" })
  preferences: Record<string, unknown>;

  @CreatedAtColumn({ nullable: true })
  createdAt: Date;

  @UpdateDateColumn({
    name: 'updated_at',
    type: 'timestamp with time zone',
    nullable: true,
    default: () => 'now()',
  })
  updatedAt: Date;

  @TimestampColumn('last_login', { nullable: true })
  lastLogin: Date | null;

  @Column({ name: 'login_count', type: 'integer', nullable: true, default: 0 })
  loginCount: number;

  @Column({ name: 'is_active', type: 'boolean', nullable: true, default: true })
  isActive: boolean;
}

/** A user as authenticated requests see it: every column but the password hash. */
export type UserProfile = Omit<UserEntity, 'passwordHash'>;
