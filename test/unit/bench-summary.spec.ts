import {
  evaluateTargets,
  median,
  pairedRatio,
  ratio,
  RunFacts,
  ScenarioStats,
  summarise,
  summaryLine,
} from '../../bench/summary';

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

describe('bench repeated runs', () => {
  it('takes the median of each figure and keeps the spread of req/s and p99', () => {
    const sut = summarise([stats(100, 30), stats(300, 10), stats(200, 20)]);
    expect(sut).toMatchObject({
      rps: 200,
      p99_ms: 20,
      rps_min: 100,
      rps_max: 300,
      p99_min: 10,
      p99_max: 30,
    });
    expect(sut.runs).toHaveLength(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => summarise([])).toThrow();
  });

  it('judges ratios on the median of the paired rounds, with their spread', () => {
    const me = [stats(3000), stats(2000), stats(3600)];
    const floor = [stats(4000), stats(4000), stats(4000)];
    expect(pairedRatio(me, floor)).toEqual({ median: 0.75, min: 0.5, max: 0.9 });
    const f = facts({
      scenarios: { ...facts().scenarios, me: summarise(me), floor: summarise(floor) },
      rounds: { me, floor },
    });
    const meVsFloor = evaluateTargets(f).find((t) => t.name === 'me_vs_floor');
    expect(meVsFloor).toMatchObject({ value: 0.75, pass: true, spread: { min: 0.5, max: 0.9 } });
  });

  it('reports spreads of repeated scenarios on the summary line', () => {
    const refresh = summarise([stats(1000), stats(1200), stats(1100)]);
    const f = facts({ scenarios: { ...facts().scenarios, refresh } });
    const line = summaryLine(f, evaluateTargets(f), {});
    expect(line.scenarios.refresh).toMatchObject({
      rps: 1100,
      rps_min: 1000,
      rps_max: 1200,
      runs: 3,
    });
    expect(evaluateTargets(f).find((t) => t.name === 'refresh_per_core')?.spread).toEqual({
      min: 500,
      max: 600,
    });
  });
});
