import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AppError } from '../common/app-error';
import { SessionEntity } from '../sessions/session.entity';
import { UserEntity } from './user.entity';

const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof QueryFailedError &&
    (err.driverError as { code?: string } | undefined)?.code === UNIQUE_VIOLATION
  );
}

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
  findActiveBySession(userId: string, sessionId: string) {
    return this.users
      .createQueryBuilder('u')
      .innerJoin(SessionEntity, 's', 's.user_id = u.id')
      .where('u.id = :userId AND s.id = :sessionId', { userId, sessionId })
      .andWhere('s.is_active IS TRUE AND s.expires_at > now() AND u.is_active IS TRUE')
      .getOne();
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
