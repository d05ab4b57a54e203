import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { AsymmetricAlgorithm } from '../config/env.schema';
import { SigningKeyEntity } from './signing-key.entity';

/** Transaction-scoped advisory lock: one key creator at a time across replicas. */
const KEY_CREATOR_LOCK = 0x21_5e7c;

@Injectable()
export class SigningKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Every key of one algorithm, revoked ones included (they keep their place in the schedule). */
  findByAlg(alg: AsymmetricAlgorithm, manager = this.dataSource.manager) {
    return manager.find(SigningKeyEntity, { where: { alg }, order: { activatesAt: 'ASC' } });
  }

  findByKid(kid: string) {
    return this.dataSource.manager.findOneBy(SigningKeyEntity, { kid });
  }

  /** Runs `work` in a transaction holding the creator lock (waits for another holder). */
  withCreatorLock<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [KEY_CREATOR_LOCK]);
      return work(manager);
    });
  }

  insert(manager: EntityManager, key: Omit<SigningKeyEntity, 'createdAt' | 'revokedAt'>) {
    return manager.insert(SigningKeyEntity, { ...key, revokedAt: null });
  }

  setActivation(manager: EntityManager, kid: string, activatesAt: Date) {
    return manager.update(SigningKeyEntity, { kid }, { activatesAt });
  }

  /** Marks the key revoked; false when it does not exist or already was. */
  async revoke(manager: EntityManager, kid: string, at: Date): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(SigningKeyEntity)
      .set({ revokedAt: at })
      .where('kid = :kid AND revoked_at IS NULL', { kid })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
