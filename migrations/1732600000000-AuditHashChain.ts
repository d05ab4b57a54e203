import { MigrationInterface, QueryRunner } from 'typeorm';
import { ChainContent, chainHash, GENESIS_HASH } from '../src/audit/audit-chain';

/**
 * Tamper evidence for audit_logs: a strict order (`seq`) and a SHA-256 chain
 * (`hash` over `prev_hash` and the row's canonical content), all three NULL until the sealer
 * chains the row (see src/audit/audit-chain.ts). Rows written before this
 * migration are chained here, oldest first. `audit_checkpoints` remembers where pruning
 * cut the chain, so verification can start there.
 */
const CHAIN_BATCH = 10_000;

export class AuditHashChain1732600000000 implements MigrationInterface {
  name = 'AuditHashChain1732600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE audit_logs ADD COLUMN seq BIGINT`);
    await db.query(`ALTER TABLE audit_logs ADD COLUMN prev_hash VARCHAR(64)`);
    await db.query(`ALTER TABLE audit_logs ADD COLUMN hash VARCHAR(64)`);
    await this.chainExistingRows(db);
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

  /**
   * Rewrites the table once, a batch at a time, instead of a round trip per row: the chain's
   * order is fixed first in a temporary table, then each batch's hashes (sequential by
   * nature) are computed here and written with its seq and created_at in one UPDATE.
   */
  private async chainExistingRows(db: QueryRunner) {
    // The hash covers created_at in milliseconds (what JavaScript reads back); rows without
    // one sort last and get the epoch, as before.
    await db.query(`
      CREATE TEMPORARY TABLE audit_chain_order ON COMMIT DROP AS
      SELECT id, row_number() OVER (ORDER BY date_trunc('milliseconds', created_at), id) AS seq,
             COALESCE(date_trunc('milliseconds', created_at), to_timestamp(0)) AS created_at
        FROM audit_logs`);
    await db.query(`CREATE UNIQUE INDEX ON audit_chain_order(seq)`);
    await db.query(`ANALYZE audit_chain_order`);
    let prevHash = GENESIS_HASH;
    for (let from = 0; ; from += CHAIN_BATCH) {
      const rows = (await db.query(
        `SELECT a.id, o.seq, a.user_id, a.action, a.resource, a.details, a.ip_address,
                a.user_agent, o.created_at
           FROM audit_chain_order o JOIN audit_logs a ON a.id = o.id
          WHERE o.seq > $1 AND o.seq <= $2 ORDER BY o.seq`,
        [from, from + CHAIN_BATCH],
      )) as Array<Omit<ChainContent, 'seq'> & { seq: string }>;
      if (rows.length === 0) break;
      const prevHashes: string[] = [];
      const hashes: string[] = [];
      for (const row of rows) {
        const hash = chainHash(prevHash, { ...row, seq: Number(row.seq) });
        prevHashes.push(prevHash);
        hashes.push(hash);
        prevHash = hash;
      }
      await db.query(
        `UPDATE audit_logs a
            SET seq = b.seq, created_at = b.created_at, prev_hash = b.prev_hash, hash = b.hash
           FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::varchar[], $5::varchar[])
                AS b(id, seq, created_at, prev_hash, hash)
          WHERE a.id = b.id`,
        [
          rows.map((r) => r.id),
          rows.map((r) => r.seq),
          rows.map((r) => r.created_at.toISOString()),
          prevHashes,
          hashes,
        ],
      );
    }
    await db.query(`CREATE UNIQUE INDEX idx_audit_logs_seq ON audit_logs(seq)`);
  }
}
