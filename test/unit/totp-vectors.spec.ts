import { base32Decode, totp } from '../utils/totp';
import { matchingStep, otpauthUrl, timeStep } from '../../src/mfa/totp';

/** RFC 6238 Appendix B, SHA-1 rows: the seed is the ASCII string "12345678901234567890". */
const VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];
const SEED = Buffer.from('12345678901234567890', 'ascii');
const SEED_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('test TOTP generator (RFC 6238 Appendix B)', () => {
  it.each(VECTORS)('T = %d gives %s', (seconds, expected) => {
    expect(totp(SEED, seconds, 8)).toBe(expected);
  });

  it('decodes base32 as RFC 4648 does', () => {
    expect(base32Decode(SEED_BASE32).equals(SEED)).toBe(true);
  });
});

describe('service TOTP check against the test generator', () => {
  const at = new Date(1_234_567_890_000);
  const code = (offsetSteps: number) => totp(SEED, 1_234_567_890 + offsetSteps * 30);

  it('accepts the current step and one step of drift either way, naming the step', () => {
    const step = timeStep(at);
    expect(matchingStep(SEED_BASE32, code(0), at)).toBe(step);
    expect(matchingStep(SEED_BASE32, code(-1), at)).toBe(step - 1);
    expect(matchingStep(SEED_BASE32, code(1), at)).toBe(step + 1);
  });

  it('refuses two steps of drift and malformed codes', () => {
    expect(matchingStep(SEED_BASE32, code(-2), at)).toBeNull();
    expect(matchingStep(SEED_BASE32, code(2), at)).toBeNull();
    expect(matchingStep(SEED_BASE32, '12345', at)).toBeNull();
    expect(matchingStep(SEED_BASE32, '12345a', at)).toBeNull();
  });

  it('builds the Key URI Format URL authenticator apps read', () => {
    expect(otpauthUrl('Perfect21', 'ada@example.com', SEED_BASE32)).toBe(
      `otpauth://totp/Perfect21:ada%40example.com?secret=${SEED_BASE32}&issuer=Perfect21&algorithm=SHA1&digits=6&period=30`,
    );
  });
});
