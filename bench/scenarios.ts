import autocannon from 'autocannon';
import type { SeededSession } from './storage';
import type { ScenarioStats } from './summary';

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  requests?: autocannon.Request[];
  /** Fixed request rate (a latency probe, not a load). */
  overallRate?: number;
}

const ms = (value: number) => Math.round(value * 100) / 100;

export function toStats(result: autocannon.Result): ScenarioStats {
  const completed = result.requests.total;
  return {
    rps: result.duration > 0 ? completed / result.duration : 0,
    p50_ms: ms(result.latency.p50),
    p99_ms: ms(result.latency.p99),
    errors: result.non2xx + result.errors + result.timeouts,
    requests: completed,
  };
}

export async function load(options: LoadOptions): Promise<ScenarioStats> {
  const result = await autocannon({
    url: options.url,
    duration: options.seconds,
    connections: options.connections,
    pipelining: 1,
    timeout: 20,
    requests: options.requests,
    overallRate: options.overallRate,
  });
  return toStats(result);
}

const withHeaders = (request: autocannon.Request, headers: Record<string, string>) => ({
  ...request,
  headers: { ...request.headers, ...headers },
});

/** `GET /api/users/me`, each request with the next user's access token. */
export function meRequests(sessions: SeededSession[]): autocannon.Request[] {
  let next = 0;
  return [
    {
      method: 'GET',
      path: '/api/users/me',
      setupRequest: (request) =>
        withHeaders(request, {
          authorization: `Bearer ${sessions[next++ % sessions.length].accessToken}`,
        }),
    },
  ];
}

/**
 * `POST /api/auth/refresh`, every refresh token used exactly once: requests take tokens from
 * a shared queue and each 200 puts the rotated token back, so the chain never repeats one.
 * autocannon resets its per-connection context between requests, hence the shared queue.
 */
export class RefreshTokenPool {
  private readonly queue: string[];

  constructor(tokens: string[]) {
    this.queue = [...tokens];
  }

  get size() {
    return this.queue.length;
  }

  requests(): autocannon.Request[] {
    return [
      {
        method: 'POST',
        path: '/api/auth/refresh',
        setupRequest: (request) => ({
          ...withHeaders(request, { 'content-type': 'application/json' }),
          body: JSON.stringify({ refresh_token: this.queue.shift() ?? 'pool-exhausted' }),
        }),
        onResponse: (status, body) => {
          if (status !== 200) return;
          const parsed = JSON.parse(body) as { tokens?: { refresh_token?: string } };
          if (parsed.tokens?.refresh_token) this.queue.push(parsed.tokens.refresh_token);
        },
      },
    ];
  }
}

/**
 * `POST /api/auth/login`, rotating through users that all share one password. Logins take
 * seconds under load, so the rate counts only 200s completed after `warmupSeconds` of the
 * same run: a fresh start's ramp-up would otherwise bias it low.
 */
export async function loginLoad(options: {
  url: string;
  emails: string[];
  password: string;
  connections: number;
  warmupSeconds: number;
  seconds: number;
}): Promise<ScenarioStats> {
  let next = 0;
  const completedAt: number[] = [];
  const started = performance.now();
  const result = await autocannon({
    url: options.url,
    duration: options.warmupSeconds + options.seconds,
    connections: options.connections,
    pipelining: 1,
    timeout: 20,
    requests: [
      {
        method: 'POST',
        path: '/api/auth/login',
        setupRequest: (request) => ({
          ...withHeaders(request, { 'content-type': 'application/json' }),
          body: JSON.stringify({
            email: options.emails[next++ % options.emails.length],
            password: options.password,
          }),
        }),
        onResponse: (status) => {
          if (status === 200) completedAt.push(performance.now());
        },
      },
    ],
  });
  const windowStart = started + options.warmupSeconds * 1000;
  const measured = completedAt.filter((t) => t >= windowStart).length;
  return { ...toStats(result), rps: measured / options.seconds, requests: measured };
}
