/** Pure result shaping: scenario stats, ratios, targets and the report lines. */

export interface ScenarioStats {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  requests: number;
}

const round = (n: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/**
 * A scenario measured several times: the median of each figure (targets are judged on
 * it), the spread of req/s and p99 over the runs, and every run as measured.
 */
export interface RepeatedStats extends ScenarioStats {
  rps_min: number;
  rps_max: number;
  p99_min: number;
  p99_max: number;
  runs: ScenarioStats[];
}

/** Median of a list of numbers (mean of the middle two for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median and spread of repeated runs of one scenario. */
export function summarise(runs: ScenarioStats[]): RepeatedStats {
  if (runs.length === 0) throw new Error('summarise: no runs');
  const pick = (f: (r: ScenarioStats) => number) => runs.map(f);
  return {
    rps: median(pick((r) => r.rps)),
    p50_ms: median(pick((r) => r.p50_ms)),
    p99_ms: median(pick((r) => r.p99_ms)),
    errors: pick((r) => r.errors).reduce((a, b) => a + b, 0),
    requests: pick((r) => r.requests).reduce((a, b) => a + b, 0),
    rps_min: Math.min(...pick((r) => r.rps)),
    rps_max: Math.max(...pick((r) => r.rps)),
    p99_min: Math.min(...pick((r) => r.p99_ms)),
    p99_max: Math.max(...pick((r) => r.p99_ms)),
    runs,
  };
}

/**
 * The ratio of two scenarios measured back to back in each round: the median over the
 * rounds of numerator/denominator (each pair saw the same machine load), with its spread.
 */
export function pairedRatio(
  numerator: ScenarioStats[] | undefined,
  denominator: ScenarioStats[] | undefined,
): { median: number; min: number; max: number } | null {
  if (!numerator || !denominator) return null;
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(numerator.length, denominator.length); i++) {
    const r = ratio(numerator[i], denominator[i]);
    if (r !== null) ratios.push(r);
  }
  if (ratios.length === 0) return null;
  return {
    median: round(median(ratios), 3),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
  };
}

export interface RunFacts {
  cores: number;
  scenarios: Record<string, ScenarioStats>;
  /** Every run of the repeated scenarios, round by round (for ratios of paired runs). */
  rounds?: Record<string, ScenarioStats[]>;
  /** `GET /health/live` seen by a second client while `login` ran. */
  liveDuringLogin?: ScenarioStats;
  /** Largest service RSS seen over the whole run. */
  rssMb: number;
  /** Service RSS after each repeated me+refresh round. */
  rssAfterRoundsMb: number[];
}

export interface Target {
  name: string;
  value: number | null;
  goal: string;
  pass: boolean | null;
  /** Lowest and highest value over the runs, when the scenario was repeated. */
  spread?: { min: number; max: number };
}

export const TARGETS = {
  loginVsBcrypt: 0.9,
  liveP99DuringLoginMs: 50,
  meVsFloor: 0.7,
  refreshPerCore: 500,
  rssMb: 250,
  /** RSS may wobble with GC; more than this between the first and last round is growth. */
  rssGrowthMb: 25,
} as const;

export function ratio(numerator?: ScenarioStats, denominator?: ScenarioStats): number | null {
  if (!numerator || !denominator || denominator.rps <= 0) return null;
  return round(numerator.rps / denominator.rps, 3);
}

export function evaluateTargets(facts: RunFacts): Target[] {
  const s = facts.scenarios;
  const paired = (num: string, den: string) =>
    facts.rounds?.[num] && facts.rounds[den]
      ? pairedRatio(facts.rounds[num], facts.rounds[den])
      : null;
  const loginPaired = paired('login', 'bcrypt');
  const mePaired = paired('me', 'floor');
  const loginVsBcrypt = loginPaired ? loginPaired.median : ratio(s.login, s.bcrypt);
  const meVsFloor = mePaired ? mePaired.median : ratio(s.me, s.floor);
  const refreshPerCore = s.refresh ? round(s.refresh.rps / facts.cores, 1) : null;
  const live = facts.liveDuringLogin;
  const liveP99 = live?.p99_ms ?? null;
  const rounds = facts.rssAfterRoundsMb;
  const growth = rounds.length >= 2 ? round(rounds[rounds.length - 1] - rounds[0], 1) : null;
  const atLeast = (v: number | null, goal: number) => (v === null ? null : v >= goal);
  const below = (v: number | null, goal: number) => (v === null ? null : v < goal);
  const spreadOf = (p: { min: number; max: number } | null) =>
    p && facts.rounds ? { spread: { min: p.min, max: p.max } } : {};
  const refresh = s.refresh && 'runs' in s.refresh ? (s.refresh as RepeatedStats) : null;
  const liveRepeated = live && 'runs' in live ? (live as RepeatedStats) : null;
  return [
    {
      name: 'login_vs_bcrypt',
      value: loginVsBcrypt,
      goal: `>= ${TARGETS.loginVsBcrypt}`,
      pass: atLeast(loginVsBcrypt, TARGETS.loginVsBcrypt),
      ...spreadOf(loginPaired),
    },
    {
      name: 'live_p99_during_login_ms',
      value: liveP99,
      goal: `< ${TARGETS.liveP99DuringLoginMs}`,
      pass: below(liveP99, TARGETS.liveP99DuringLoginMs),
      ...(liveRepeated ? { spread: { min: liveRepeated.p99_min, max: liveRepeated.p99_max } } : {}),
    },
    {
      name: 'me_vs_floor',
      value: meVsFloor,
      goal: `>= ${TARGETS.meVsFloor}`,
      pass: atLeast(meVsFloor, TARGETS.meVsFloor),
      ...spreadOf(mePaired),
    },
    {
      name: 'refresh_per_core',
      value: refreshPerCore,
      goal: `>= ${TARGETS.refreshPerCore}`,
      pass: atLeast(refreshPerCore, TARGETS.refreshPerCore),
      ...(refresh
        ? {
            spread: {
              min: round(refresh.rps_min / facts.cores, 1),
              max: round(refresh.rps_max / facts.cores, 1),
            },
          }
        : {}),
    },
    {
      name: 'rss_mb',
      value: round(facts.rssMb, 1),
      goal: `< ${TARGETS.rssMb}`,
      pass: below(facts.rssMb, TARGETS.rssMb),
    },
    {
      name: 'rss_growth_over_rounds_mb',
      value: growth,
      goal: `< ${TARGETS.rssGrowthMb}`,
      pass: below(growth, TARGETS.rssGrowthMb),
    },
  ];
}

/** The one-line JSON summary printed last. */
export function summaryLine(facts: RunFacts, targets: Target[], extra: Record<string, unknown>) {
  const value = (name: string) => targets.find((t) => t.name === name)?.value ?? null;
  return {
    cores: facts.cores,
    rss_mb: round(facts.rssMb, 1),
    rss_after_rounds_mb: facts.rssAfterRoundsMb.map((v) => round(v, 1)),
    refresh_per_core: value('refresh_per_core'),
    live_p99_during_login_ms: value('live_p99_during_login_ms'),
    ratios: {
      login_vs_bcrypt: value('login_vs_bcrypt'),
      me_vs_floor: value('me_vs_floor'),
      ...pairedRatios(facts),
    },
    scenarios: Object.fromEntries(
      Object.entries(facts.scenarios).map(([name, s]) => [name, scenarioFigures(s)]),
    ),
    targets: Object.fromEntries(
      targets.map((t) => [t.name, t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'FAIL']),
    ),
    ...extra,
  };
}

/** Ratios besides the targets: each from paired runs when the scenarios were repeated. */
function pairedRatios(facts: RunFacts): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const pair = (name: string, num: string, den: string) => {
    if (!facts.scenarios[num] || !facts.scenarios[den]) return;
    out[name] =
      facts.rounds?.[num] && facts.rounds[den]
        ? (pairedRatio(facts.rounds[num], facts.rounds[den])?.median ?? null)
        : ratio(facts.scenarios[num], facts.scenarios[den]);
  };
  pair('live_vs_hello', 'live', 'hello');
  pair('me_2proc_vs_1proc', 'me_2proc', 'me');
  for (const alg of ['eddsa', 'es256', 'rs256']) {
    pair(`me_${alg}_vs_me`, `me_${alg}`, 'me');
    pair(`refresh_${alg}_vs_refresh`, `refresh_${alg}`, 'refresh');
  }
  return out;
}

function scenarioFigures(s: ScenarioStats) {
  const figures = { rps: round(s.rps, 1), p50_ms: s.p50_ms, p99_ms: s.p99_ms, errors: s.errors };
  if (!('runs' in s)) return figures;
  const r = s as RepeatedStats;
  return {
    ...figures,
    rps_min: round(r.rps_min, 1),
    rps_max: round(r.rps_max, 1),
    p99_min: r.p99_min,
    p99_max: r.p99_max,
    runs: r.runs.length,
  };
}

export function formatTable(scenarios: Record<string, ScenarioStats>): string[] {
  const header = `${'scenario'.padEnd(22)}${'req/s'.padStart(10)}${'min-max'.padStart(18)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'errors'.padStart(8)}`;
  const rows = Object.entries(scenarios).map(([name, s]) => {
    const spread =
      'runs' in s
        ? `${(s as RepeatedStats).rps_min.toFixed(0)}-${(s as RepeatedStats).rps_max.toFixed(0)}`
        : '';
    return `${name.padEnd(22)}${s.rps.toFixed(1).padStart(10)}${spread.padStart(18)}${String(s.p50_ms).padStart(10)}${String(s.p99_ms).padStart(10)}${String(s.errors).padStart(8)}`;
  });
  return [header, ...rows];
}

export function formatTargets(targets: Target[]): string[] {
  return targets.map((t) => {
    const verdict = t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'FAIL';
    return `${verdict}  ${t.name.padEnd(28)} ${String(t.value ?? '-').padStart(9)}  (target ${t.goal})`;
  });
}
