import {
  canonicalJson,
  chainHash,
  ChainContent,
  GENESIS_HASH,
  linkProblem,
  StoredRow,
} from '../../src/audit/audit-chain';

/** Seals `contents` into a chain the way the sealer does, starting at genesis. */
function sealed(contents: Array<Omit<ChainContent, 'seq'>>): StoredRow[] {
  let prev = GENESIS_HASH;
  return contents.map((content, i) => {
    const hash = chainHash(prev, { ...content, seq: i + 1 });
    const row = { ...content, seq: String(i + 1), prev_hash: prev, hash };
    prev = hash;
    return row;
  });
}

function walk(rows: StoredRow[]) {
  let previous = { seq: 0, hash: GENESIS_HASH };
  for (const row of rows) {
    const problem = linkProblem(previous, row);
    if (problem) return { id: row.id, problem };
    previous = { seq: Number(row.seq), hash: row.hash };
  }
  return null;
}

const content = (n: number): Omit<ChainContent, 'seq'> => ({
  id: `00000000-0000-4000-8000-00000000000${n}`,
  user_id: null,
  action: 'USER_LOGIN',
  resource: 'auth',
  details: { request_id: `req-${n}`, nested: { b: 1, a: [2, { d: 3, c: 4 }] } },
  ip_address: '203.0.113.7',
  user_agent: 'jest',
  created_at: new Date(Date.UTC(2026, 10, 29, 12, 0, n)),
});

describe(canonicalJson.name, () => {
  it('sorts keys at every depth, keeps array order, drops undefined like JSON', () => {
    const sut = canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } });
    expect(sut).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });
});

describe(chainHash.name, () => {
  it('is a SHA-256 hex digest that ignores key order but not content or the previous hash', () => {
    const row = { ...content(1), seq: 1 };
    const sut = chainHash(GENESIS_HASH, row);
    expect(sut).toMatch(/^[0-9a-f]{64}$/);
    const reordered = {
      ...row,
      details: { nested: { a: [2, { c: 4, d: 3 }], b: 1 }, request_id: 'req-1' },
    };
    expect(chainHash(GENESIS_HASH, reordered)).toBe(sut);
    expect(chainHash(GENESIS_HASH, { ...row, action: 'USER_LOGOUT' })).not.toBe(sut);
    expect(chainHash('f'.repeat(64), row)).not.toBe(sut);
  });
});

describe(linkProblem.name, () => {
  const chain = sealed([content(1), content(2), content(3), content(4)]);

  it('accepts an untouched chain', () => {
    expect(walk(chain)).toBeNull();
  });

  it('an altered row: hash_mismatch at that row', () => {
    const altered = chain.map((row, i) => (i === 2 ? { ...row, user_agent: 'curl' } : row));
    expect(walk(altered)).toEqual({ id: chain[2].id, problem: 'hash_mismatch' });
  });

  it('a deleted row: sequence_gap at its successor', () => {
    expect(walk([chain[0], chain[2], chain[3]])).toEqual({
      id: chain[2].id,
      problem: 'sequence_gap',
    });
  });

  it('a row re-linked to the wrong predecessor: broken_link', () => {
    const relinked = chain.map((row, i) => (i === 1 ? { ...row, prev_hash: GENESIS_HASH } : row));
    expect(walk(relinked)).toEqual({ id: chain[1].id, problem: 'broken_link' });
  });

  it('a rewritten row with a recomputed hash still breaks the next link', () => {
    const forged = { ...chain[1], action: 'USER_LOGOUT' };
    forged.hash = chainHash(forged.prev_hash, { ...forged, seq: 2 });
    expect(walk([chain[0], forged, chain[2], chain[3]])).toEqual({
      id: chain[2].id,
      problem: 'broken_link',
    });
  });
});
