import { evaluateTargets, ratio, RunFacts, ScenarioStats, summaryLine } from '../../bench/summary';

const stats = (rps: number, p99 = 10): ScenarioStats => ({
  rps,
  p50_ms: 1,
  p99_ms: p99,
  errors: 0,
  requests: rps * 10,
});

const facts = (overrides: Partial<RunFacts> = {}): RunFacts => ({
  cores: 2,
  scenarios: {
    hello: stats(20000),
    floor: stats(4000),
    live: stats(8000),
    me: stats(3000),
    refresh: stats(1200),
    login: stats(10),
    bcrypt: stats(10.5),
  },
  liveDuringLogin: stats(20, 12),
  rssMb: 180,
  rssAfterRoundsMb: [170, 172, 171],
  ...overrides,
});

const verdicts = (f: RunFacts) =>
  Object.fromEntries(evaluateTargets(f).map((t) => [t.name, t.pass]));

describe('bench summary', () => {
  it('computes ratios from requests per second, null when a side is missing or zero', () => {
    expect(ratio(stats(3000), stats(4000))).toBe(0.75);
    expect(ratio(stats(3000), undefined)).toBeNull();
    expect(ratio(stats(3000), stats(0))).toBeNull();
  });

  it('passes every target when the numbers meet them', () => {
    expect(verdicts(facts())).toEqual({
      login_vs_bcrypt: true,
      live_p99_during_login_ms: true,
      me_vs_floor: true,
      refresh_per_core: true,
      rss_mb: true,
      rss_growth_over_rounds_mb: true,
    });
  });

  it('fails each target on its own threshold', () => {
    const f = facts({
      scenarios: {
        ...facts().scenarios,
        me: stats(2700),
        refresh: stats(999),
        login: stats(9),
      },
      liveDuringLogin: stats(20, 50),
      rssMb: 250,
      rssAfterRoundsMb: [170, 190, 196],
    });
    expect(verdicts(f)).toEqual({
      login_vs_bcrypt: false,
      live_p99_during_login_ms: false,
      me_vs_floor: false,
      refresh_per_core: false,
      rss_mb: false,
      rss_growth_over_rounds_mb: false,
    });
  });

  it('reports n/a instead of a verdict when a measurement is missing', () => {
    const f = facts({ liveDuringLogin: undefined, rssAfterRoundsMb: [170] });
    const line = summaryLine(f, evaluateTargets(f), {});
    expect(line.targets.live_p99_during_login_ms).toBe('n/a');
    expect(line.targets.rss_growth_over_rounds_mb).toBe('n/a');
    expect(line.live_p99_during_login_ms).toBeNull();
  });

  it('puts the required keys on the summary line', () => {
    const f = facts();
    const line = summaryLine(f, evaluateTargets(f), { mode: 'quick' });
    expect(line).toMatchObject({
      cores: 2,
      rss_mb: 180,
      refresh_per_core: 600,
      live_p99_during_login_ms: 12,
      ratios: { login_vs_bcrypt: 0.952, me_vs_floor: 0.75 },
      mode: 'quick',
    });
    for (const name of ['hello', 'floor', 'live', 'me', 'refresh', 'login', 'bcrypt']) {
      expect(Object.keys(line.scenarios[name]).sort()).toEqual([
        'errors',
        'p50_ms',
        'p99_ms',
        'rps',
      ]);
    }
  });
});
