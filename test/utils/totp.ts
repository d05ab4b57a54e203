import { createHmac } from 'node:crypto';

/**
 * The tests' own RFC 6238 generator (HMAC-SHA-1, dynamic truncation of RFC 4226 §5.3),
 * independent of the service's library; proven by the RFC's Appendix B vectors.
 */
export function hotp(key: Buffer, counter: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export function totp(key: Buffer, unixSeconds: number, digits = 6, period = 30): string {
  return hotp(key, Math.floor(unixSeconds / period), digits);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(text: string): Buffer {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The code an authenticator holding `base32Secret` shows at `at`. */
export const codeAt = (base32Secret: string, at: Date) =>
  totp(base32Decode(base32Secret), Math.floor(at.getTime() / 1000));
