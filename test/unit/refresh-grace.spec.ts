import { RefreshGraceService } from '../../src/auth/refresh-grace.service';
import { IssuedTokens } from '../../src/auth/token.service';
import { loadConfig } from '../../src/config/app-config';

const successor: IssuedTokens = {
  access_token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.access-signature',
  refresh_token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyIn0.refresh-signature',
  token_type: 'Bearer',
  expires_in: 3600,
};
const rotated = 'eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJvbGQifQ.old-signature';

describe(RefreshGraceService.name, () => {
  const sut = new RefreshGraceService(loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '10' }));

  it('gives the sealed pair back to the holder of the rotated token', () => {
    expect(sut.open(rotated, sut.seal(rotated, successor))).toEqual(successor);
  });

  it('seals nothing readable, and differently each time', () => {
    const sealed = sut.seal(rotated, successor);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    const raw = Buffer.from(sealed.slice(3), 'base64url').toString('latin1');
    expect(raw).not.toContain('signature');
    expect(raw).not.toContain('eyJ');
    expect(sut.seal(rotated, successor)).not.toBe(sealed);
  });

  it('cannot be opened with another token, after tampering, or from nothing', () => {
    const sealed = sut.seal(rotated, successor);
    expect(sut.open(`${rotated}x`, sealed)).toBeNull();
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(sut.open(rotated, `v1.${raw.toString('base64url')}`)).toBeNull();
    expect(sut.open(rotated, null)).toBeNull();
    expect(sut.open(rotated, 'v2.abc')).toBeNull();
  });

  it('is off with a zero window', () => {
    expect(sut.enabled).toBe(true);
    expect(new RefreshGraceService(loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '0' })).enabled).toBe(
      false,
    );
  });
});
