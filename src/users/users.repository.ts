import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AppError } from '../common/app-error';
import { Role, UserEntity } from './user.entity';

const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof QueryFailedError &&
    (err.driverError as { code?: string } | undefined)?.code === UNIQUE_VIOLATION
  );
}

const ACTIVE_BY_SESSION = `
  SELECT u.* FROM users u JOIN user_sessions s ON s.user_id = u.id
   WHERE u.id = $1 AND s.id = $2 AND s.is_active IS TRUE AND s.expires_at > now()
     AND u.is_active IS TRUE`;

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  findById(id: string) {
    return this.users.findOneBy({ id });
  }

  findByEmail(email: string) {
    return this.users.findOneBy({ email });
  }

  /** The user behind an access token, only while the token's session is active. */
  /** Runs on every authenticated request: plain SQL, without building a query each time. */
  async findActiveBySession(userId: string, sessionId: string): Promise<UserEntity | null> {
    const [row] = await this.users.query<Array<Record<string, unknown>>>(ACTIVE_BY_SESSION, [
      userId,
      sessionId,
    ]);
    if (!row) return null;
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
  async lockForAdminChange(manager: EntityManager, id: string) {
    const rows = await manager
      .getRepository(UserEntity)
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
  async create(manager: EntityManager, data: Partial<UserEntity>): Promise<UserEntity> {
    try {
      const repo = manager.getRepository(UserEntity);
      const { id } = await repo.save(repo.create(data));
      return repo.findOneByOrFail({ id });
    } catch (err) {
      if (isUniqueViolation(err)) throw AppError.conflict('Email already registered');
      throw err;
    }
  }

  async recordLogin(manager: EntityManager, id: string, newPasswordHash?: string) {
    const qb = manager
      .createQueryBuilder()
      .update(UserEntity)
      .set({
        lastLogin: () => 'now()',
        loginCount: () => 'COALESCE(login_count, 0) + 1',
        ...(newPasswordHash ? { passwordHash: newPasswordHash } : {}),
      })
      .where('id = :id', { id });
    await qb.execute();
    return manager.getRepository(UserEntity).findOneByOrFail({ id });
  }

  async update(manager: EntityManager, id: string, changes: Partial<UserEntity>) {
    await manager
      .getRepository(UserEntity)
      .update({ id }, changes as QueryDeepPartialEntity<UserEntity>);
    return manager.getRepository(UserEntity).findOneByOrFail({ id });
  }
}

/** Makes `%`, `_` and `\` match themselves in a LIKE pattern (escape character `\`). */
export function escapeLike(value: string) {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}
