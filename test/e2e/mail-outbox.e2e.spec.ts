import { DataSource } from 'typeorm';
import { createUser, uniqueEmail } from '../utils/factories';
import { linkIn, TestSmtpServer } from '../utils/smtp-server';
import { usingPostgres } from '../utils/test-env';
import { createTestApp, TestApp } from '../utils/test-app';

/** Fast sender: poll every 100 ms, retry after 100, 200, 400, 400 … ms, give up after 8 tries. */
const SENDER_ENV = {
  MAIL_POLL_INTERVAL_MS: '100',
  MAIL_RETRY_BASE_MS: '100',
  MAIL_RETRY_MAX_MS: '400',
  MAIL_MAX_ATTEMPTS: '8',
  TRUST_PROXY: 'true',
};

type OutboxRow = { recipient: string; status: string; attempts: number; text_body: string | null };

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** App start-up (migrations on a fresh database) takes long on a busy 2-core machine. */
const HOOK_TIMEOUT_MS = 180_000;

describe('Mail outbox and background sender (real SMTP server)', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  const outbox = (recipients: string[]) =>
    t.app
      .get(DataSource)
      .query<OutboxRow[]>(
        `SELECT recipient, status, attempts, text_body FROM mail_outbox WHERE recipient = ANY($1)`,
        [recipients],
      );

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({ ...SENDER_ENV, SMTP_URL: smtp.url, RATE_LIMIT_EMAIL: '3/3600' });
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  it('SMTP down while reset mails are queued: none lost, each delivered exactly once when it is back', async () => {
    const users = [];
    for (let i = 0; i < 3; i++) users.push(await createUser(t.http));
    const emails = users.map((u) => u.email);
    await smtp.waitFor(() => emails.every((e) => smtp.mailsTo(e).length === 1));

    await smtp.stop();
    for (const email of emails) {
      const res = await t.http
        .post('/api/auth/forgot-password')
        .set('X-Forwarded-For', '198.51.100.1')
        .send({ email });
      expect(res.status).toBe(202);
    }
    // Retried with back-off while SMTP is away, still pending with their bodies.
    const waiting = await until(
      async () => (await outbox(emails)).filter((row) => row.status === 'pending'),
      (rows) => rows.length === 3 && rows.every((row) => row.attempts >= 2),
    );
    expect(waiting.every((row) => row.text_body !== null)).toBe(true);
    const failing = await t.http.get('/metrics');
    expect(failing.text).toMatch(/mail_delivery_attempts_total\{outcome="retried"\} [1-9]/);

    await smtp.resume();
    await smtp.waitFor(() => emails.every((e) => smtp.mailsTo(e).length === 2));
    await new Promise((r) => setTimeout(r, 1000)); // several more polls: nothing sent twice
    for (const email of emails) {
      const resets = smtp.mailsTo(email).filter((m) => m.subject.startsWith('Reset'));
      expect(resets).toHaveLength(1);
      expect(linkIn(resets[0], '/reset-password').token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    const rows = await outbox(emails);
    expect(rows.every((row) => row.status === 'sent' && row.text_body === null)).toBe(true);
  });

  it('a refused recipient fails at once (permanent), a transient refusal after MAIL_MAX_ATTEMPTS; counted in /metrics', async () => {
    const permanent = await createUser(t.http, { email: uniqueEmail('bounce') });
    void permanent; // its registration mail was accepted before the refusals start
    const soft = uniqueEmail('greylisted');
    const hard = uniqueEmail('unknown-mailbox');
    smtp.refuse.set(soft, 451);
    smtp.refuse.set(hard, 550);
    const before = await t.http.get('/metrics');
    const failedBefore = Number(
      /mail_delivery_attempts_total\{outcome="failed"\} (\d+)/.exec(before.text)![1],
    );

    await createUser(t.http, { email: soft });
    await createUser(t.http, { email: hard });
    const rows = await until(
      () => outbox([soft, hard]),
      (r) => r.length === 2 && r.every((row) => row.status === 'failed'),
    );
    const byRecipient = Object.fromEntries(rows.map((row) => [row.recipient, row]));
    expect(byRecipient[hard].attempts).toBe(1);
    expect(byRecipient[soft].attempts).toBe(8);
    expect(rows.every((row) => row.text_body === null)).toBe(true);
    const after = await t.http.get('/metrics');
    const failedAfter = Number(
      /mail_delivery_attempts_total\{outcome="failed"\} (\d+)/.exec(after.text)![1],
    );
    expect(failedAfter - failedBefore).toBe(2);
  });

  it('forgot-password and reset-password are limited per client IP by RATE_LIMIT_EMAIL', async () => {
    for (const route of ['forgot-password', 'reset-password']) {
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const res = await t.http
          .post(`/api/auth/${route}`)
          .set('X-Forwarded-For', '203.0.113.7')
          .send({ email: uniqueEmail(), token: 'x'.repeat(43), new_password: 'N3w#Reset$Pass' });
        statuses.push(res.status);
        if (i === 3) {
          expect(res.body.error.code).toBe('TOO_MANY_REQUESTS');
          expect(res.headers['x-ratelimit-limit']).toBe('3');
        }
      }
      expect(statuses.slice(3)).toEqual([429]);
      expect(statuses.slice(0, 3)).not.toContain(429);
    }
  });
});

(usingPostgres ? describe : describe.skip)('Two instances on one PostgreSQL database', () => {
  let smtp: TestSmtpServer;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    smtp.delayMs = 30; // each delivery takes a while, so both senders are busy at once
    // Enough attempts to outlast the outage this test stages.
    const env = { ...SENDER_ENV, SMTP_URL: smtp.url, MAIL_MAX_ATTEMPTS: '100' };
    a = await createTestApp(env);
    b = await createTestApp(env, a.storage);
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await b?.close({ keepStorage: true });
    await a?.close();
    await smtp?.stop();
  });

  it('both senders deliver from the shared outbox and no message is sent twice', async () => {
    // Queue 30 mails while SMTP is down, then bring it back: both senders find the same
    // due rows at their next polls and compete for them.
    await smtp.stop();
    const emails = Array.from({ length: 30 }, () => uniqueEmail('replica'));
    for (const [i, email] of emails.entries()) await createUser((i % 2 ? a : b).http, { email });
    await smtp.resume();
    await smtp.waitFor(() => emails.every((e) => smtp.mailsTo(e).length >= 1), 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    for (const email of emails) expect(smtp.mailsTo(email)).toHaveLength(1);
    const rows = await a.app
      .get(DataSource)
      .query<Array<{ status: string }>>(
        `SELECT status FROM mail_outbox WHERE recipient = ANY($1)`,
        [emails],
      );
    expect(rows).toHaveLength(30);
    expect(rows.every((row) => row.status === 'sent')).toBe(true);
  });
});
