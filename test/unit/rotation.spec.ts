import { diagnoseFailedRotation } from '../../src/sessions/sessions.service';

describe(diagnoseFailedRotation.name, () => {
  const now = new Date('2026-11-29T12:00:00Z');
  const userId = '11111111-1111-4111-8111-111111111111';
  const presentedHash = 'a'.repeat(64);
  const session = (overrides: Partial<Parameters<typeof diagnoseFailedRotation>[0]> = {}) => ({
    userId,
    isActive: true,
    expiresAt: new Date(now.getTime() + 60_000),
    refreshTokenHash: 'b'.repeat(64),
    ...overrides,
  });

  it("a live session of the token's user holding a newer token: the presented one was rotated (reuse)", () => {
    expect(diagnoseFailedRotation(session(), { userId }, presentedHash, now)).toBe('reused');
  });

  it('the current token that still did not rotate (its user was deactivated): invalid, not reuse', () => {
    const current = session({ refreshTokenHash: presentedHash });
    expect(diagnoseFailedRotation(current, { userId }, presentedHash, now)).toBe('invalid');
  });

  it("another user's session (a foreign sid): invalid, and that session is left alone", () => {
    const foreign = session({ userId: '22222222-2222-4222-8222-222222222222' });
    expect(diagnoseFailedRotation(foreign, { userId }, presentedHash, now)).toBe('invalid');
  });

  it('a revoked, expired or deleted session: invalid', () => {
    expect(
      diagnoseFailedRotation(session({ isActive: false }), { userId }, presentedHash, now),
    ).toBe('invalid');
    const expired = session({ expiresAt: new Date(now.getTime() - 1) });
    expect(diagnoseFailedRotation(expired, { userId }, presentedHash, now)).toBe('invalid');
    expect(diagnoseFailedRotation(null, { userId }, presentedHash, now)).toBe('invalid');
  });
});
