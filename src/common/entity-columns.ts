import { applyDecorators } from '@nestjs/common';
import { Column, ColumnOptions, CreateDateColumn, JoinColumn, ManyToOne } from 'typeorm';

type Options = Omit<ColumnOptions, 'name' | 'type'>;

const TIMESTAMPTZ = 'timestamp with time zone';

/** A `timestamptz` column. */
export const TimestampColumn = (name: string, options: Options = {}) =>
  Column({ name, type: TIMESTAMPTZ, ...options });

/** `created_at timestamptz DEFAULT now()`, set on insert. */
export const CreatedAtColumn = (options: Options = {}) =>
  CreateDateColumn({ name: 'created_at', type: TIMESTAMPTZ, default: () => 'now()', ...options });

/**
 * The row's `user_id` references users(id) ON DELETE CASCADE. The entity is named, not
 * imported: the foreign key without a dependency on users/.
 */
export const OwnedByUser = (foreignKeyConstraintName: string) =>
  applyDecorators(
    ManyToOne('UserEntity', { onDelete: 'CASCADE', nullable: false }),
    JoinColumn({ name: 'user_id', foreignKeyConstraintName }),
  );
