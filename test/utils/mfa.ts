import type { TestApp } from './test-app';
import { Clock } from '../../src/common/clock';
import { bearer } from './factories';
import { codeAt } from './totp';

/**
 * Drives the app's Clock provider (the service's time seam): TOTP steps and mfa_token
 * expiry follow `now`, which only moves when the test says so.
 */
export class TestClock {
  private nowMs: number;

  constructor(apps: TestApp[], start = Date.now()) {
    // Mid-step, so that ±1 step of drift is exactly ±30 s of authenticator time.
    this.nowMs = Math.floor(start / 30_000) * 30_000 + 15_000;
    for (const t of apps) {
      jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(this.nowMs));
    }
  }

  get now() {
    return new Date(this.nowMs);
  }

  advance(seconds: number) {
    this.nowMs += seconds * 1000;
  }

  /** Moves to the next 30-second time step. */
  nextStep() {
    this.advance(30);
  }

  /** The code an authenticator shows `offsetSteps` steps from the test's now. */
  code(secret: string, offsetSteps = 0) {
    return codeAt(secret, new Date(this.nowMs + offsetSteps * 30_000));
  }
}

/** Every secret, code and token the run handled, for the "never in logs or audit" check. */
export class Secrets {
  readonly texts = new Set<string>();
  readonly codes = new Set<string>();

  secret(value: string) {
    this.texts.add(value);
    return value;
  }

  code(value: string) {
    this.codes.add(value);
    return value;
  }

  recoveryCodes(values: string[]) {
    for (const v of values) {
      this.texts.add(v);
      this.texts.add(v.replace(/-/g, ''));
    }
    return values;
  }

  /** The secrets found in `text`; a 6-digit code only as a whole run of digits. */
  foundIn(text: string): string[] {
    const found = [...this.texts].filter((s) => text.includes(s));
    const runs = new Set(text.match(/\d+/g) ?? []);
    return [...found, ...[...this.codes].filter((c) => runs.has(c))];
  }
}

export async function enrolTotp(t: TestApp, clock: TestClock, accessToken: string, seen: Secrets) {
  const setup = await t.http.post('/api/auth/mfa/totp/setup').set(bearer(accessToken)).expect(200);
  const secret = seen.secret(setup.body.secret as string);
  seen.secret(setup.body.otpauth_url as string);
  const enable = await t.http
    .post('/api/auth/mfa/totp/enable')
    .set(bearer(accessToken))
    .send({ code: seen.code(clock.code(secret)) })
    .expect(200);
  return { secret, recoveryCodes: seen.recoveryCodes(enable.body.recovery_codes as string[]) };
}

/** Password step; expects the MFA challenge and returns its token. */
export async function passwordStep(t: TestApp, email: string, password: string, seen: Secrets) {
  const res = await t.http.post('/api/auth/login').send({ email, password });
  if (res.status !== 200 || !res.body.mfa_token) {
    throw new Error(`expected an MFA challenge: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return seen.secret(res.body.mfa_token as string);
}
