import { decodeProtectedHeader, jwtVerify } from 'jose';
import { TokenService } from '../../src/auth/token.service';
import { Clock } from '../../src/common/clock';
import { loadConfig } from '../../src/config/app-config';
import type { SigningKeysService } from '../../src/signing-keys/signing-keys.service';

const SECRET = 'unit-test-secret-that-is-long-enough-0123456789';
const USER = '7d4f2c1e-8b9a-4c3d-9e8f-0a1b2c3d4e5f';
const SESSION = '0f1e2d3c-4b5a-4968-8776-655443322110';

/** HS* tokens are signed and verified in-line (node:crypto); jose must accept what is signed. */
describe(`${TokenService.name} (HMAC signing)`, () => {
  it.each(['HS256', 'HS384', 'HS512'] as const)(
    '%s: jose verifies what the service signs, and the service verifies it back',
    async (alg) => {
      const config = loadConfig({ JWT_SECRET_KEY: SECRET, JWT_ALGORITHM: alg });
      const sut = new TokenService(config, null as unknown as SigningKeysService, new Clock());

      const pair = await sut.issue(USER, 'user', SESSION, ['pwd']);

      for (const token of [pair.tokens.access_token, pair.tokens.refresh_token]) {
        expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'JWT' });
        const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
          algorithms: [alg],
          issuer: config.jwt.issuer,
          audience: config.jwt.audience,
        });
        expect(payload).toMatchObject({ sub: USER, sid: SESSION });
        expect(payload.exp! - payload.iat!).toBeGreaterThan(0);
      }
      await expect(sut.verifyAccess(pair.tokens.access_token)).resolves.toMatchObject({
        claims: { sub: USER, role: 'user', type: 'access', amr: ['pwd'], aal: 'aal1' },
      });
      await expect(sut.verifyRefresh(pair.tokens.refresh_token)).resolves.toMatchObject({
        claims: { sub: USER, sid: SESSION, type: 'refresh' },
      });
    },
  );

  it('a token signed under another secret does not verify', async () => {
    const config = loadConfig({ JWT_SECRET_KEY: SECRET });
    const other = loadConfig({ JWT_SECRET_KEY: `${SECRET}-other` });
    const keys = null as unknown as SigningKeysService;
    const forged = await new TokenService(other, keys, new Clock()).issue(USER, 'admin', SESSION, [
      'pwd',
    ]);
    const sut = new TokenService(config, keys, new Clock());
    await expect(sut.verifyAccess(forged.tokens.access_token)).resolves.toBeNull();
  });
});
