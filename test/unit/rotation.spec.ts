import { diagnoseFailedRotation } from '../../src/sessions/sessions.service';

describe(diagnoseFailedRotation.name, () => {
  const now = new Date('2026-11-29T12:00:00Z');
  const userId = '11111111-1111-4111-8111-111111111111';
  const presentedHash = 'a'.repeat(64);
  const lifetime = 3600;
  const session = (overrides: Partial<Parameters<typeof diagnoseFailedRotation>[0]> = {}) => ({
    userId,
    isActive: true,
    userActive: true,
    createdAt: new Date(now.getTime() - 60_000),
    expiresAt: new Date(now.getTime() + 60_000),
    refreshTokenHash: 'b'.repeat(64) as string | null,
    ...overrides,
  });
  const sut = (s: ReturnType<typeof session> | null) =>
    diagnoseFailedRotation(s, { userId }, presentedHash, lifetime, now);

  it("a live session of the token's user holding a newer token: the presented one was rotated (superseded)", () => {
    expect(sut(session())).toBe('superseded');
  });

  it('a session past its absolute lifetime: invalid, even with an expiry still ahead', () => {
    expect(sut(session({ createdAt: new Date(now.getTime() - lifetime * 1000 - 1) }))).toBe(
      'invalid',
    );
  });

  it('the current token that did not rotate: minted for a stale role, amr or end (retried)', () => {
    expect(sut(session({ refreshTokenHash: presentedHash }))).toBe('stale');
  });

  it('a deactivated user: invalid, whether the token is current or superseded', () => {
    expect(sut(session({ userActive: false, refreshTokenHash: presentedHash }))).toBe('invalid');
    expect(sut(session({ userActive: false }))).toBe('invalid');
  });

  it("another user's session (a foreign sid): invalid, and that session is left alone", () => {
    const foreign = session({ userId: '22222222-2222-4222-8222-222222222222' });
    expect(sut(foreign)).toBe('invalid');
  });

  it('a revoked, expired or deleted session: invalid', () => {
    expect(sut(session({ isActive: false }))).toBe('invalid');
    expect(sut(session({ expiresAt: new Date(now.getTime() - 1) }))).toBe('invalid');
    expect(sut(null)).toBe('invalid');
  });
});
