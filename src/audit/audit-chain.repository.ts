import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { DataSource, EntityManager } from 'typeorm';
import {
  chainHash,
  GENESIS_HASH,
  linkProblem,
  NewAuditRow,
  StoredRow,
  VerifyResult,
} from './audit-chain';

/** Key of the transaction-scoped advisory lock that serialises chain appends. */
const CHAIN_LOCK_KEY = 0x21_a0d17;

/** The chain's tail: the last sealed row, else the last pruning checkpoint, else genesis. */
async function chainTail(manager: EntityManager): Promise<{ seq: number; hash: string }> {
  const [last] = await manager.query<Array<{ seq: string; hash: string }>>(
    `SELECT seq, hash FROM audit_logs WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1`,
  );
  return last ? { seq: Number(last.seq), hash: last.hash } : latestCheckpoint(manager);
}

export async function latestCheckpoint(
  manager: EntityManager,
): Promise<{ seq: number; hash: string }> {
  const [checkpoint] = await manager.query<Array<{ seq: string; hash: string }>>(
    `SELECT seq, hash FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`,
  );
  return checkpoint
    ? { seq: Number(checkpoint.seq), hash: checkpoint.hash }
    : { seq: 0, hash: GENESIS_HASH };
}

export type WrittenAuditRow = NewAuditRow & { id: string; created_at: Date };

/** Gives a new row its id and timestamp (milliseconds only: it round-trips through timestamptz). */
export function newAuditRow(input: NewAuditRow): WrittenAuditRow {
  return { ...input, id: randomUUID(), created_at: new Date() };
}

const AUDIT_COLUMNS = 'id, user_id, action, resource, details, ip_address, user_agent, created_at';

/** The row's values as parameters `$first`… with their column types, and the parameters. */
function auditValues(row: WrittenAuditRow, first: number) {
  const types = ['uuid', 'uuid', 'varchar', 'varchar', 'jsonb', 'inet', 'text', 'timestamptz'];
  return {
    sql: types.map((type, i) => `$${first + i}::${type}`).join(', '),
    params: [
      row.id,
      row.user_id,
      row.action,
      row.resource,
      row.details === null ? null : JSON.stringify(row.details),
      row.ip_address && isIP(row.ip_address) ? row.ip_address : null,
      row.user_agent,
      row.created_at,
    ],
  };
}

/**
 * Inserts one row, unsealed (no seq, no hash yet), inside `manager`'s transaction: the row
 * commits or rolls back with the change it records, and no lock is taken on the request path.
 * `sealPending` chains it moments later.
 */
export async function insertAuditRow(manager: EntityManager, row: WrittenAuditRow) {
  const values = auditValues(row, 1);
  await manager.query(
    `INSERT INTO audit_logs (${AUDIT_COLUMNS}) VALUES (${values.sql})`,
    values.params,
  );
}

/**
 * The same INSERT as a clause for a data-modifying CTE: the row is written, in the statement
 * that makes the change it records, only when `source` (a CTE of that statement) yields a row.
 * Its parameters are numbered from `first`.
 */
export function auditInsertFrom(row: WrittenAuditRow, source: string, first: number) {
  const values = auditValues(row, first);
  return {
    sql: `INSERT INTO audit_logs (${AUDIT_COLUMNS}) SELECT ${values.sql} FROM ${source}`,
    params: values.params,
  };
}

type UnsealedRow = Omit<StoredRow, 'seq' | 'prev_hash' | 'hash'>;

/**
 * Chains every committed, unsealed row: assigns the next `seq` and computes `prev_hash`/`hash`,
 * in batches, one sealer at a time across all replicas (transaction-scoped advisory lock).
 * Returns the number of rows sealed and the chain's new head.
 */
export async function sealPending(
  dataSource: DataSource,
  { batch = 1000, maxBatches = 1000 } = {},
): Promise<{ sealed: number; seq: number; hash: string }> {
  let sealed = 0;
  let head = { seq: 0, hash: GENESIS_HASH };
  for (let i = 0; i < maxBatches; i++) {
    const count = await dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [CHAIN_LOCK_KEY]);
      head = await chainTail(manager);
      const rows = await manager.query<UnsealedRow[]>(
        `SELECT id, user_id, action, resource, details, ip_address, user_agent, created_at
           FROM audit_logs WHERE seq IS NULL ORDER BY created_at, id LIMIT ${batch}`,
      );
      const ids: string[] = [];
      const seqs: number[] = [];
      const prevHashes: string[] = [];
      const hashes: string[] = [];
      for (const row of rows) {
        const seq = head.seq + 1;
        const hash = chainHash(head.hash, { ...row, seq });
        ids.push(row.id);
        seqs.push(seq);
        prevHashes.push(head.hash);
        hashes.push(hash);
        head = { seq, hash };
      }
      if (rows.length > 0) {
        await manager.query(
          `UPDATE audit_logs AS a SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
             FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[]) AS v(id, seq, prev_hash, hash)
            WHERE a.id = v.id`,
          [ids, seqs, prevHashes, hashes],
        );
      }
      return rows.length;
    });
    sealed += count;
    if (count < batch) break;
  }
  return { sealed, ...head };
}

const BATCH = 1000;

/**
 * Walks the chain from the last checkpoint in one snapshot and reports the first row that
 * was altered (hash), deleted (gap or broken link on its successor) or inserted out of order.
 */
export function verifyChain(dataSource: DataSource): Promise<VerifyResult> {
  return dataSource.transaction('REPEATABLE READ', async (manager) => {
    const [{ pending }] = await manager.query<[{ pending: number }]>(
      `SELECT count(*)::int AS pending FROM audit_logs WHERE seq IS NULL`,
    );
    const start = await latestCheckpoint(manager);
    let prevHash = start.hash;
    let expected = start.seq + 1;
    let checked = 0;
    const result = (bad: { id: string; reason: VerifyResult['reason'] } | null): VerifyResult => ({
      valid: bad === null,
      checked,
      first_bad_id: bad?.id ?? null,
      reason: bad?.reason ?? null,
      from_seq: start.seq,
      last_seq: expected - 1,
      last_hash: prevHash,
      pending,
    });

    // Pruning deletes everything up to its checkpoint in the same transaction.
    const [stale] = await manager.query<Array<{ id: string }>>(
      `SELECT id FROM audit_logs WHERE seq <= $1 ORDER BY seq LIMIT 1`,
      [start.seq],
    );
    if (stale) return result({ id: stale.id, reason: 'before_checkpoint' });

    for (;;) {
      const rows = await manager.query<StoredRow[]>(
        `SELECT id, seq, user_id, action, resource, details, ip_address, user_agent,
                created_at, prev_hash, hash
           FROM audit_logs WHERE seq >= $1 ORDER BY seq LIMIT ${BATCH}`,
        [expected],
      );
      for (const row of rows) {
        const reason = linkProblem({ seq: expected - 1, hash: prevHash }, row);
        if (reason) return result({ id: row.id, reason });
        prevHash = row.hash;
        expected += 1;
        checked += 1;
      }
      if (rows.length < BATCH) return result(null);
    }
  });
}

/**
 * Deletes the chain's oldest rows created before `cutoff`, at most `batch` per transaction and
 * `maxBatches` per call, and records a checkpoint (seq and hash of the last pruned row) in the
 * same transaction, so verification can start there. Only a prefix of the chain is pruned:
 * a row is kept while any row before it is younger than the cutoff.
 */
export async function pruneChain(
  dataSource: DataSource,
  cutoff: Date,
  { batch = 5000, maxBatches = 100 } = {},
): Promise<number> {
  let pruned = 0;
  for (let i = 0; i < maxBatches; i++) {
    const deleted = await dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [CHAIN_LOCK_KEY]);
      const [edge] = await manager.query<Array<{ seq: string; hash: string }>>(
        `WITH head AS (SELECT seq, hash, created_at FROM audit_logs ORDER BY seq LIMIT $2),
              keep AS (SELECT min(seq) AS seq FROM head WHERE created_at >= $1)
         SELECT head.seq, head.hash FROM head, keep
          WHERE keep.seq IS NULL OR head.seq < keep.seq
          ORDER BY head.seq DESC LIMIT 1`,
        [cutoff, batch],
      );
      if (!edge) return 0;
      const [{ n }] = await manager.query<[{ n: number }]>(
        `WITH gone AS (DELETE FROM audit_logs WHERE seq <= $1 RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [edge.seq],
      );
      await manager.query(
        `INSERT INTO audit_checkpoints (seq, hash, rows_pruned, pruned_before)
         VALUES ($1, $2, $3, $4)`,
        [edge.seq, edge.hash, n, cutoff],
      );
      return n;
    });
    pruned += deleted;
    if (deleted < batch) break;
  }
  return pruned;
}
