import { createHash } from 'node:crypto';

/** prev_hash of the very first row. */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainContent {
  id: string;
  seq: number;
  user_id: string | null;
  action: string;
  resource: string | null;
  details: Record<string, unknown> | null;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Date;
}

/** JSON with object keys sorted at every depth; undefined dropped as JSON would. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value ?? null))));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** SHA-256 over the previous row's hash and this row's canonical content. */
export function chainHash(prevHash: string, row: ChainContent): string {
  const content = canonicalJson({
    id: row.id,
    seq: row.seq,
    user_id: row.user_id,
    action: row.action,
    resource: row.resource,
    details: row.details,
    ip_address: row.ip_address,
    user_agent: row.user_agent,
    created_at: row.created_at.toISOString(),
  });
  return createHash('sha256').update(`${prevHash}\n${content}`).digest('hex');
}

export type NewAuditRow = Omit<ChainContent, 'id' | 'seq' | 'created_at'>;

export interface VerifyResult {
  valid: boolean;
  checked: number;
  first_bad_id: string | null;
  reason: 'hash_mismatch' | 'broken_link' | 'sequence_gap' | 'before_checkpoint' | null;
  /** Where the walk started: the last pruning checkpoint (0 without one). */
  from_seq: number;
  last_seq: number;
  last_hash: string;
  /** Committed rows not sealed into the chain yet (not covered by this check). */
  pending: number;
}

/** A sealed row as the database returns it (bigint `seq` comes back as a string). */
export interface StoredRow extends Omit<ChainContent, 'seq'> {
  seq: string;
  prev_hash: string;
  hash: string;
}

/**
 * What is wrong with `row` as the successor of `previous` (the chain's last verified seq and
 * hash): a gap in seq (a row deleted), a prev_hash that does not link (a row deleted or
 * inserted), or a hash that does not match the content (a row altered). Null when it links.
 */
export function linkProblem(
  previous: { seq: number; hash: string },
  stored: StoredRow,
): 'sequence_gap' | 'broken_link' | 'hash_mismatch' | null {
  const row = { ...stored, seq: Number(stored.seq) };
  if (row.seq !== previous.seq + 1) return 'sequence_gap';
  if (row.prev_hash !== previous.hash) return 'broken_link';
  if (chainHash(previous.hash, row) !== row.hash) return 'hash_mismatch';
  return null;
}
