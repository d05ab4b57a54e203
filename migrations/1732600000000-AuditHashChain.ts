import { MigrationInterface, QueryRunner } from 'typeorm';
import { ChainContent, chainHash, GENESIS_HASH } from '../src/audit/audit-chain';

/**
 * Tamper evidence for audit_logs: a strict order (`seq`) and a SHA-256 chain
 * (`hash` over `prev_hash` and the row's canonical content), all three NULL until the sealer
 * chains the row (see src/audit/audit-chain.ts). Rows written before this
 * migration are chained here, oldest first. `audit_checkpoints` remembers where pruning
 * cut the chain, so verification can start there.
 */
export class AuditHashChain1732600000000 implements MigrationInterface {
  name = 'AuditHashChain1732600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE audit_logs ADD COLUMN seq BIGINT`);
    await db.query(`ALTER TABLE audit_logs ADD COLUMN prev_hash VARCHAR(64)`);
    await db.query(`ALTER TABLE audit_logs ADD COLUMN hash VARCHAR(64)`);
    await this.chainExistingRows(db);
    await db.query(`CREATE UNIQUE INDEX idx_audit_logs_seq ON audit_logs(seq)`);
    await db.query(`
      CREATE TABLE audit_checkpoints (
        seq BIGINT PRIMARY KEY,
        hash VARCHAR(64) NOT NULL,
        rows_pruned INTEGER NOT NULL,
        pruned_before TIMESTAMP WITH TIME ZONE NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE audit_checkpoints`);
    await db.query(`DROP INDEX idx_audit_logs_seq`);
    await db.query(`ALTER TABLE audit_logs DROP COLUMN hash`);
    await db.query(`ALTER TABLE audit_logs DROP COLUMN prev_hash`);
    await db.query(`ALTER TABLE audit_logs DROP COLUMN seq`);
  }

  private async chainExistingRows(db: QueryRunner) {
    // The hash covers created_at in milliseconds (what JavaScript reads back).
    await db.query(`UPDATE audit_logs SET created_at = date_trunc('milliseconds', created_at)`);
    const rows = (await db.query(
      `SELECT id, user_id, action, resource, details, ip_address, user_agent, created_at
         FROM audit_logs ORDER BY created_at, id`,
    )) as Array<Omit<ChainContent, 'seq' | 'created_at'> & { created_at: Date | null }>;
    let prevHash = GENESIS_HASH;
    let seq = 0;
    for (const row of rows) {
      seq += 1;
      const createdAt = row.created_at ?? new Date(0);
      const hash = chainHash(prevHash, { ...row, seq, created_at: createdAt });
      await db.query(
        `UPDATE audit_logs SET seq = $2, prev_hash = $3, hash = $4, created_at = $5 WHERE id = $1`,
        [row.id, seq, prevHash, hash, createdAt],
      );
      prevHash = hash;
    }
  }
}
