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

/** audit_logs' indexes from InitialSchema besides its primary key. */
const SECONDARY_INDEXES = [
  ['idx_audit_logs_user_id', 'user_id'],
  ['idx_audit_logs_action', 'action'],
  ['idx_audit_logs_created_at', 'created_at'],
] as const;

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
   * Linear in the table's size: one sorted copy of the rows is read a batch at a time (no
   * join back to audit_logs per batch: each was a full scan, quadratic over 1M rows), each
   * batch's hashes (sequential by nature) are computed here and appended to a staging table,
   * and audit_logs is rewritten once, by one UPDATE, with its secondary indexes dropped
   * meanwhile (created_at is rewritten, so every row would add an entry to each) and built
   * again after.
   */
  private async chainExistingRows(db: QueryRunner) {
    // The hash covers created_at in milliseconds (what JavaScript reads back); rows without
    // one sort last and get the epoch, as before.
    await db.query(`
      CREATE TEMPORARY TABLE audit_chain_order ON COMMIT DROP AS
      SELECT id, row_number() OVER (ORDER BY date_trunc('milliseconds', created_at), id) AS seq,
             COALESCE(date_trunc('milliseconds', created_at), to_timestamp(0)) AS created_at,
             user_id, action, resource, details, ip_address, user_agent
        FROM audit_logs`);
    await db.query(`CREATE UNIQUE INDEX ON audit_chain_order(seq)`);
    await db.query(`ANALYZE audit_chain_order`);
    await db.query(`
      CREATE TEMPORARY TABLE audit_chain_links (
        id UUID, seq BIGINT, created_at TIMESTAMP WITH TIME ZONE,
        prev_hash VARCHAR(64), hash VARCHAR(64)
      ) ON COMMIT DROP`);
    let prevHash = GENESIS_HASH;
    for (let from = 0; ; from += CHAIN_BATCH) {
      const rows = (await db.query(
        `SELECT id, seq, user_id, action, resource, details, ip_address, user_agent, created_at
           FROM audit_chain_order WHERE seq > $1 AND seq <= $2 ORDER BY seq`,
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
        `INSERT INTO audit_chain_links
         SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::varchar[], $5::varchar[])`,
        [
          rows.map((r) => r.id),
          rows.map((r) => r.seq),
          rows.map((r) => r.created_at.toISOString()),
          prevHashes,
          hashes,
        ],
      );
    }
    for (const [name] of SECONDARY_INDEXES) await db.query(`DROP INDEX IF EXISTS ${name}`);
    await db.query(`
      UPDATE audit_logs a
         SET seq = l.seq, created_at = l.created_at, prev_hash = l.prev_hash, hash = l.hash
        FROM audit_chain_links l
       WHERE a.id = l.id`);
    for (const [name, column] of SECONDARY_INDEXES) {
      await db.query(`CREATE INDEX ${name} ON audit_logs(${column})`);
    }
    await db.query(`CREATE UNIQUE INDEX idx_audit_logs_seq ON audit_logs(seq)`);
  }
}
