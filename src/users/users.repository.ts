import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { QueryFailedError } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AppError } from '../common/app-error';
import type { Role } from '../common/roles';
import { UserEntity, UserProfile } from './user.entity';
import { queryRows } from '../common/pool-query';

const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof QueryFailedError &&
    (err.driverError as { code?: string } | undefined)?.code === UNIQUE_VIOLATION
  );
}

/** Every column of `users` but the password hash: what an authenticated request may read. */
const PROFILE_COLUMNS = [
  'id',
  'email',
  'first_name',
  'last_name',
  'phone_number',
  'role',
  'email_verified',
  'phone_verified',
  'two_factor_enabled',
  'preferences',
  'created_at',
  'updated_at',
  'last_login',
  'login_count',
  'is_active',
] as const;

/**
 * The user behind a session, while both are active (bench/floor-app.ts runs it too). Both rows
 * are read by primary key: the ownership check is `IS NOT DISTINCT FROM`, which no index
 * serves, so a generic plan made without table statistics cannot read every session of the
 * user through idx_sessions_user_id instead (`prepared-statements.e2e` pins the plan).
 */
export const ACTIVE_BY_SESSION = `
  SELECT ${PROFILE_COLUMNS.map((column) => `u.${column}`).join(', ')}
    FROM users u JOIN user_sessions s ON s.id = $2
   WHERE u.id = $1 AND s.user_id IS NOT DISTINCT FROM u.id
     AND s.is_active IS TRUE AND s.expires_at > now() AND u.is_active IS TRUE`;

@Injectable()
export class UsersRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /** The users table in the ambient transaction, or on the plain connection outside one. */
  private get users() {
    return this.txHost.tx.getRepository(UserEntity);
  }

  findById(id: string) {
    return this.users.findOneBy({ id });
  }

  findByEmail(email: string) {
    return this.users.findOneBy({ email });
  }

  /**
   * The user behind an access token (without the password hash), only while the token's
   * session is active. Runs on every authenticated request: one prepared statement.
   */
  async findActiveBySession(userId: string, sessionId: string): Promise<UserProfile | null> {
    const [row] = await queryRows<Record<string, unknown>>(this.txHost.tx, ACTIVE_BY_SESSION, [
      userId,
      sessionId,
    ]);
    return row ? this.fromRow(row) : null;
  }

  private fromRow(row: Record<string, unknown>): UserEntity {
    const user = new UserEntity();
    for (const column of this.users.metadata.columns) {
      (user as unknown as Record<string, unknown>)[column.propertyName] = row[column.databaseName];
    }
    return user;
  }

  /** One page of users, newest first; `email` matches as a case-insensitive substring. */
  list(filter: { page: number; limit: number; role?: Role; email?: string }) {
    const qb = this.users.createQueryBuilder('u');
    if (filter.role) qb.andWhere('u.role = :role', { role: filter.role });
    if (filter.email) {
      qb.andWhere(`u.email ILIKE :email ESCAPE '\\'`, { email: `%${escapeLike(filter.email)}%` });
    }
    return qb
      .orderBy('u.created_at', 'DESC')
      .addOrderBy('u.id', 'DESC')
      .offset((filter.page - 1) * filter.limit)
      .limit(filter.limit)
      .getManyAndCount();
  }

  /**
   * Locks the target row and every active admin row, in id order so that concurrent admin
   * changes queue instead of deadlocking; a row changed meanwhile is re-read after the wait,
   * so two admins demoting each other can never both succeed. NO KEY UPDATE: inserts that
   * reference the user (sessions, audit rows) only need KEY SHARE and are not blocked.
   */
  async lockForAdminChange(id: string) {
    const rows = await this.users
      .createQueryBuilder('u')
      .where(`u.id = :id OR (u.role = 'admin' AND u.is_active IS TRUE)`, { id })
      .orderBy('u.id', 'ASC')
      .setLock('for_no_key_update')
      .getMany();
    return {
      target: rows.find((row) => row.id === id) ?? null,
      activeAdmins: rows.filter((row) => row.role === 'admin' && row.isActive === true).length,
    };
  }

  /** Inserts a user; the unique index (not a prior lookup) decides a duplicate email. */
  async insert(data: Partial<UserEntity>): Promise<UserEntity> {
    try {
      const { id } = await this.users.save(this.users.create(data));
      return this.users.findOneByOrFail({ id });
    } catch (err) {
      if (isUniqueViolation(err)) throw AppError.conflict('Email already registered');
      throw err;
    }
  }

  /**
   * Creates `email` as an active admin, or promotes and reactivates it (password untouched).
   * One upsert decides, so concurrent callers end with exactly one such user. Returns null
   * when the email already was an active admin (nothing changed).
   */
  async upsertActiveAdmin(email: string, passwordHash: string) {
    const [row] = await this.users.query<
      Array<{
        id: string;
        created: boolean;
        previous_role: Role | null;
        previous_active: boolean | null;
      }>
    >(
      `WITH previous AS (SELECT role, is_active FROM users WHERE email = $1)
       INSERT INTO users (email, password_hash, role, is_active) VALUES ($1, $2, 'admin', true)
       ON CONFLICT (email) DO UPDATE SET role = 'admin', is_active = true, updated_at = now()
         WHERE users.role IS DISTINCT FROM 'admin' OR users.is_active IS NOT TRUE
       RETURNING id, (xmax = 0) AS created,
         (SELECT role FROM previous) AS previous_role,
         (SELECT is_active FROM previous) AS previous_active`,
      [email, passwordHash],
    );
    return row ?? null;
  }

  async recordLogin(id: string, newPasswordHash?: string): Promise<UserEntity> {
    const result = await this.users
      .createQueryBuilder()
      .update(UserEntity)
      .set({
        lastLogin: () => 'now()',
        loginCount: () => 'COALESCE(login_count, 0) + 1',
        ...(newPasswordHash ? { passwordHash: newPasswordHash } : {}),
      })
      .where('id = :id', { id })
      .returning('*')
      .execute();
    return this.fromRow((result.raw as Array<Record<string, unknown>>)[0]);
  }

  async update(id: string, changes: Partial<UserEntity>) {
    await this.users.update({ id }, changes as QueryDeepPartialEntity<UserEntity>);
    return this.users.findOneByOrFail({ id });
  }
}

/** Makes `%`, `_` and `\` match themselves in a LIKE pattern (escape character `\`). */
export function escapeLike(value: string) {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}
