import { COMMON_PASSWORD_COUNT, isCommonPassword } from '../../src/credentials/common-passwords';
import { passwordPolicyErrors } from '../../src/credentials/password-policy';

describe(passwordPolicyErrors.name, () => {
  it('accepts a strong password', () => {
    expect(passwordPolicyErrors('Xk9#mP2$vL7q')).toEqual([]);
  });

  it('lists every failed rule', () => {
    expect(passwordPolicyErrors('')).toHaveLength(5);
    expect(passwordPolicyErrors('alllowercase')).toEqual([
      'Password must contain at least one uppercase letter',
      'Password must contain at least one number',
      'Password must contain at least one special character (@$!%*?&)',
    ]);
  });

  it('counts bytes, not characters, against the 72-byte limit', () => {
    expect(passwordPolicyErrors(`Aa1!${'b'.repeat(68)}`)).toEqual([]);
    expect(passwordPolicyErrors(`Aa1!${'ü'.repeat(35)}`)).toContain(
      'Password must be at most 72 bytes',
    );
  });
});

describe(isCommonPassword.name, () => {
  it('ships at least 10,000 common passwords', () => {
    expect(COMMON_PASSWORD_COUNT).toBeGreaterThanOrEqual(10000);
  });

  it.each(['Password1!', 'P@ssw0rd', 'pAsSwOrD', 'Qwerty123!', 'Welcome1!', 'Letmein1$'])(
    'flags %s',
    (pw) => {
      expect(isCommonPassword(pw)).toBe(true);
    },
  );

  it.each(['Xk9#mP2$vL7q', 'Analytical#Engine1843', 'N3w#Passphrase!'])('lets %s through', (pw) => {
    expect(isCommonPassword(pw)).toBe(false);
  });
});
