/** Pure result shaping: scenario stats, ratios, targets and the report lines. */

export interface ScenarioStats {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  requests: number;
}

export interface RunFacts {
  cores: number;
  scenarios: Record<string, ScenarioStats>;
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

const round = (n: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export function ratio(numerator?: ScenarioStats, denominator?: ScenarioStats): number | null {
  if (!numerator || !denominator || denominator.rps <= 0) return null;
  return round(numerator.rps / denominator.rps, 3);
}

export function evaluateTargets(facts: RunFacts): Target[] {
  const s = facts.scenarios;
  const loginVsBcrypt = ratio(s.login, s.bcrypt);
  const meVsFloor = ratio(s.me, s.floor);
  const refreshPerCore = s.refresh ? round(s.refresh.rps / facts.cores, 1) : null;
  const liveP99 = facts.liveDuringLogin?.p99_ms ?? null;
  const rounds = facts.rssAfterRoundsMb;
  const growth = rounds.length >= 2 ? round(rounds[rounds.length - 1] - rounds[0], 1) : null;
  const atLeast = (v: number | null, goal: number) => (v === null ? null : v >= goal);
  const below = (v: number | null, goal: number) => (v === null ? null : v < goal);
  return [
    {
      name: 'login_vs_bcrypt',
      value: loginVsBcrypt,
      goal: `>= ${TARGETS.loginVsBcrypt}`,
      pass: atLeast(loginVsBcrypt, TARGETS.loginVsBcrypt),
    },
    {
      name: 'live_p99_during_login_ms',
      value: liveP99,
      goal: `< ${TARGETS.liveP99DuringLoginMs}`,
      pass: below(liveP99, TARGETS.liveP99DuringLoginMs),
    },
    {
      name: 'me_vs_floor',
      value: meVsFloor,
      goal: `>= ${TARGETS.meVsFloor}`,
      pass: atLeast(meVsFloor, TARGETS.meVsFloor),
    },
    {
      name: 'refresh_per_core',
      value: refreshPerCore,
      goal: `>= ${TARGETS.refreshPerCore}`,
      pass: atLeast(refreshPerCore, TARGETS.refreshPerCore),
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
      live_vs_hello: ratio(facts.scenarios.live, facts.scenarios.hello),
      ...(facts.scenarios.me_2proc
        ? { me_2proc_vs_1proc: ratio(facts.scenarios.me_2proc, facts.scenarios.me) }
        : {}),
    },
    scenarios: Object.fromEntries(
      Object.entries(facts.scenarios).map(([name, s]) => [
        name,
        { rps: round(s.rps, 1), p50_ms: s.p50_ms, p99_ms: s.p99_ms, errors: s.errors },
      ]),
    ),
    targets: Object.fromEntries(
      targets.map((t) => [t.name, t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'FAIL']),
    ),
    ...extra,
  };
}

export function formatTable(scenarios: Record<string, ScenarioStats>): string[] {
  const header = `${'scenario'.padEnd(22)}${'req/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'errors'.padStart(8)}`;
  const rows = Object.entries(scenarios).map(
    ([name, s]) =>
      `${name.padEnd(22)}${s.rps.toFixed(1).padStart(10)}${String(s.p50_ms).padStart(10)}${String(s.p99_ms).padStart(10)}${String(s.errors).padStart(8)}`,
  );
  return [header, ...rows];
}

export function formatTargets(targets: Target[]): string[] {
  return targets.map((t) => {
    const verdict = t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'FAIL';
    return `${verdict}  ${t.name.padEnd(28)} ${String(t.value ?? '-').padStart(9)}  (target ${t.goal})`;
  });
}
