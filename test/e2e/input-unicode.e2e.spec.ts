import { bearer, createUser, expectErrorEnvelope, STRONG_PASSWORD } from '../utils/factories';
import { createTestApp, TestApp } from '../utils/test-app';

/** `ａｄｍｉｎ` from `admin`: the fullwidth forms of ASCII letters and digits. */
const fullwidth = (text: string) =>
  text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

describe('Ill-formed UTF-16 and look-alike emails', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const register = (body: Record<string, unknown>) =>
    t.http.post('/api/auth/register').send({ password: STRONG_PASSWORD, ...body });
  const login = (email: string) =>
    t.http.post('/api/auth/login').send({ email, password: STRONG_PASSWORD });

  function expectValidation(res: { status: number; body: unknown }, field: string) {
    expect(res.status).toBe(400);
    expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
    const details = (res.body as { error: { details: Array<{ field: string }> } }).error.details;
    expect(details.map((d) => d.field)).toContain(field);
  }

  describe('lone surrogates are a 400, never a 500 or a stored U+FFFD', () => {
    it('in email and first_name on register', async () => {
      expectValidation(await register({ email: 'a\ud800@b.co' }), 'email');
      expectValidation(
        await register({ email: 'lone@example.com', first_name: '\ud800' }),
        'first_name',
      );
      expectValidation(
        await register({ email: 'lone2@example.com', last_name: 'x\udfffy' }),
        'last_name',
      );
      expect((await login('lone@example.com')).status).toBe(401); // nothing was created
    });

    it('in email on login, and in a key of the body', async () => {
      expectValidation(await login('a\ud800@b.co'), 'email');
      const res = await t.http
        .post('/api/auth/login')
        .send({ email: 'a@b.co', password: STRONG_PASSWORD, ['k\udc00']: 1 });
      expect(res.status).toBe(400);
      expectErrorEnvelope(res.body, 'VALIDATION_ERROR');
    });

    it('in first_name on PATCH /api/users/me, leaving the profile as it was', async () => {
      const user = await createUser(t.http, { first_name: 'Grace' });
      const res = await t.http
        .patch('/api/users/me')
        .set(bearer(user.accessToken))
        .send({ first_name: 'Gr\ud800ce' });
      expectValidation(res, 'first_name');
      const me = await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
      expect(me.body.first_name).toBe('Grace');
    });

    it('accepts well-formed astral characters (a surrogate pair)', async () => {
      const user = await createUser(t.http);
      const res = await t.http
        .patch('/api/users/me')
        .set(bearer(user.accessToken))
        .send({ first_name: 'Ada 😀' });
      expect(res.status).toBe(200);
      expect(res.body.first_name).toBe('Ada 😀');
    });
  });

  describe('emails that look alike are one account or refused', () => {
    it('folds fullwidth forms (NFKC): ａｄｍｉｎ@example.com is admin@example.com', async () => {
      const res = await register({ email: `${fullwidth('admin')}@example.com` });
      expect(res.status).toBe(201);
      expect(res.body.user.email).toBe('admin@example.com');
      expect((await register({ email: 'admin@example.com' })).status).toBe(409);
      expect((await login(fullwidth('admin@example.com'))).status).toBe(200);
    });

    it('refuses a Cyrillic letter in a Latin domain label (admin@exаmple.com)', async () => {
      const res = await register({ email: 'admin@ex\u0430mple.com' });
      expectValidation(res, 'email');
      expect(JSON.stringify(res.body)).toMatch(/mix scripts/);
      expectValidation(await register({ email: 'admin@xn--exmple-4nf.com' }), 'email');
      expectValidation(await register({ email: 'p\u0430ypal@example.com' }), 'email');
      expectValidation(await login('admin@ex\u0430mple.com'), 'email');
    });

    it('keeps single-script names and stores the domain in its IDNA ASCII form', async () => {
      const res = await register({ email: 'иван@пример.рф' });
      expect(res.status).toBe(201);
      expect(res.body.user.email).toBe('иван@xn--e1afmkfd.xn--p1ai');
      expect((await login('иван@xn--e1afmkfd.xn--p1ai')).status).toBe(200);
      expect((await login('ИВАН@ПРИМЕР.РФ')).status).toBe(200);
      expect((await register({ email: 'mail@bücher.de' })).body.user.email).toBe(
        'mail@xn--bcher-kva.de',
      );
      expect((await register({ email: 'mail@xn--bcher-kva.de' })).status).toBe(409);
    });

    it('refuses invisible characters (zero-width space, joiners, bidi marks, soft hyphen)', async () => {
      for (const invisible of ['\u200b', '\u200d', '\u202e', '\u00ad', '\ufe0f', '\u2060']) {
        expectValidation(await register({ email: `admin${invisible}@example.com` }), 'email');
      }
      expectValidation(await register({ email: 'ad min@example.com' }), 'email');
      expectValidation(await login('admin\u200b@example.com'), 'email');
    });

    it('treats NFC josé@ and NFD jose\\u0301@ as one account', async () => {
      const nfc = await register({ email: 'jos\u00e9@example.com' });
      expect(nfc.status).toBe(201);
      expect(nfc.body.user.email).toBe('jos\u00e9@example.com');
      const nfd = await register({ email: 'jose\u0301@example.com' });
      expect(nfd.status).toBe(409);
      expect((await login('JOSE\u0301@EXAMPLE.COM')).status).toBe(200);
    });
  });
});
