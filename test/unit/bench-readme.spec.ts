import {
  BenchRecord,
  formatRate,
  LayersRecord,
  MARKERS,
  renderBenchBlock,
  renderLayersBlock,
  replaceBlock,
} from '../../bench/readme-table';

const record = (overrides: Partial<BenchRecord> = {}): BenchRecord => ({
  kind: 'bench',
  mode: 'full',
  runs: 3,
  date: '2026-11-29T19:40:12.345Z',
  commit: 'abcdef0123456789abcdef0123456789abcdef01',
  dirty: false,
  node: 'v24.22.3',
  machine: { cores: 2, cpu_model: 'Test CPU', mem_gb: 24, load_avg_before: [0.42, 0.5, 0.6] },
  plan: { seconds: 10, connections: 50 },
  scenarios: {
    me: { rps: 5123.4, p50_ms: 9, p99_ms: 21, errors: 0, rps_min: 5001, rps_max: 5300.6, runs: 3 },
    floor: { rps: 7000, p50_ms: 6, p99_ms: 12, errors: 0, rps_min: 6900, rps_max: 7100, runs: 3 },
    login: {
      rps: 8.94,
      p50_ms: 1789,
      p99_ms: 1975,
      errors: 0,
      rps_min: 8.8,
      rps_max: 9.1,
      runs: 3,
    },
    custom: { rps: 10, p50_ms: 1, p99_ms: 2, errors: 1 },
  },
  target_details: [
    {
      name: 'me_vs_floor',
      value: 0.73,
      goal: '>= 0.7',
      pass: true,
      spread: { min: 0.7, max: 0.75 },
    },
    { name: 'rss_growth_over_rounds_mb', value: null, goal: '< 25', pass: null },
    { name: 'refresh_per_core', value: 410, goal: '>= 500', pass: false },
  ],
  ...overrides,
});

describe('bench README tables', () => {
  it('formats rates with thousands separators, one decimal below 100', () => {
    expect(formatRate(5123.4)).toBe('5,123');
    expect(formatRate(8.94)).toBe('8.9');
    expect(formatRate(100)).toBe('100');
  });

  it('names the file, commit, date, machine and run count it was generated from', () => {
    const [comment, provenance] = renderBenchBlock('bench/results/x.json', record());
    expect(comment).toContain('npm run bench:readme -- bench/results/x.json');
    expect(provenance).toContain('commit `abcdef0`');
    expect(provenance).toContain('2026-11-29 19:40 UTC');
    expect(provenance).toContain('2 cores, Test CPU, 24 GB, Node v24.22.3');
    expect(provenance).toContain('load average 0.42');
    expect(provenance).toContain('median of 3 runs of 10 s');
    expect(provenance).not.toContain('uncommitted');
    expect(renderBenchBlock('f', record({ dirty: true }))[1]).toContain('with uncommitted changes');
    expect(renderBenchBlock('f', record({ runs: 1 }))[1]).toContain('one run of 10 s (no spread)');
  });

  it('lists scenarios in a fixed order with median, spread and latency, unknown ones last', () => {
    const lines = renderBenchBlock('f', record());
    const rows = lines.filter((l) => /^\| (floor|me \(|login|custom)/.test(l));
    expect(rows).toEqual([
      '| floor | 7,000 | 6,900–7,100 | 6 | 12 | 0 |',
      '| me (HS256) | 5,123 | 5,001–5,301 | 9 | 21 | 0 |',
      '| login (cost 12) | 8.9 | 8.8–9.1 | 1789 | 1975 | 0 |',
      '| custom | 10.0 |  | 1 | 2 | 1 |',
    ]);
  });

  it('gives every target its median, spread, goal and verdict', () => {
    const lines = renderBenchBlock('f', record());
    expect(lines).toContain('| me ÷ floor | 0.73 | 0.7–0.75 | ≥ 0.7 | **pass** |');
    expect(lines).toContain('| refresh per core (req/s) | 410 |  | ≥ 500 | **FAIL** |');
    expect(lines).toContain('| RSS growth first → last round (MB) | – |  | < 25 | n/a |');
  });

  it('shows each layer variant against the full service', () => {
    const layers: LayersRecord = {
      kind: 'layers',
      runs: 3,
      date: '2026-11-29T19:40:12.345Z',
      commit: 'abcdef0123',
      dirty: false,
      node: 'v24.22.3',
      machine: { cores: 2, load_avg_before: [0.3] },
      plan: { seconds: 10, connections: 50 },
      variants: [
        { name: 'full', removes: 'nothing', me: { rps: 4000, p50_ms: 10, p99_ms: 20, errors: 0 } },
        {
          name: '-audit',
          removes: 'the audit interceptor',
          me: {
            rps: 4400,
            p50_ms: 9,
            p99_ms: 18,
            errors: 0,
            rps_min: 4300,
            rps_max: 4500,
            runs: 3,
          },
        },
        { name: '+log', removes: 'adds logs', me: { rps: 3000, p50_ms: 9, p99_ms: 30, errors: 0 } },
      ],
    };
    const lines = renderLayersBlock('l.json', layers);
    expect(lines).toContain('| full | nothing | 4,000 |  |  | 20 |');
    expect(lines).toContain(
      '| -audit | the audit interceptor | 4,400 | 4,300–4,500 | +10.0 % | 18 |',
    );
    expect(lines).toContain('| +log | adds logs | 3,000 |  | -25.0 % | 30 |');
    expect(() =>
      renderLayersBlock('l.json', { ...layers, variants: layers.variants.slice(1) }),
    ).toThrow(/no "full" variant/);
  });

  it('replaces only the text between the markers, and refuses missing or repeated markers', () => {
    const [start, end] = MARKERS.bench;
    const text = `intro\n${start}\nold table\n${end}\noutro\n`;
    expect(replaceBlock(text, MARKERS.bench, ['new', 'table'])).toBe(
      `intro\n${start}\nnew\ntable\n${end}\noutro\n`,
    );
    expect(() => replaceBlock('no markers', MARKERS.bench, [])).toThrow(/not found/);
    expect(() => replaceBlock(`${end}\n${start}`, MARKERS.bench, [])).toThrow(/not found/);
    expect(() => replaceBlock(`${start}${start}${end}`, MARKERS.bench, [])).toThrow(
      /more than once/,
    );
  });
});
