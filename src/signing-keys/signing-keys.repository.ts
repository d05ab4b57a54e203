import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { AsymmetricAlgorithm } from '../config/env.schema';
import { SigningKeyEntity } from './signing-key.entity';

/** Transaction-scoped advisory lock: one key creator at a time across replicas. */
const KEY_CREATOR_LOCK = 0x21_5e7c;

@Injectable()
export class SigningKeysRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /** Every key of one algorithm, revoked ones included (they keep their place in the schedule). */
  findByAlg(alg: AsymmetricAlgorithm) {
    return this.txHost.tx.find(SigningKeyEntity, { where: { alg }, order: { activatesAt: 'ASC' } });
  }

  /** Waits for, then holds until the ambient transaction ends, the key creators' lock. */
  async lockCreators(): Promise<void> {
    await this.txHost.tx.query('SELECT pg_advisory_xact_lock($1)', [KEY_CREATOR_LOCK]);
  }

  async insert(key: Omit<SigningKeyEntity, 'createdAt' | 'revokedAt'>) {
    await this.txHost.tx.insert(SigningKeyEntity, { ...key, revokedAt: null });
  }

  async setActivation(kid: string, activatesAt: Date) {
    await this.txHost.tx.update(SigningKeyEntity, { kid }, { activatesAt });
  }

  /** Marks the key revoked; false when it does not exist or already was. */
  async revoke(kid: string, at: Date): Promise<boolean> {
    const result = await this.txHost.tx
      .createQueryBuilder()
      .update(SigningKeyEntity)
      .set({ revokedAt: at })
      .where('kid = :kid AND revoked_at IS NULL', { kid })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
