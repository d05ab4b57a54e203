import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

export class SecretBoxError extends Error {}

/** A short, stable id of a key: the first 8 characters of its SHA-256, base64url. */
export const keyIdOf = (key: Buffer) =>
  createHash('sha256').update(key).digest('base64url').slice(0, 8);

/** Decodes a base64 (or base64url) key and checks it holds exactly 32 bytes. */
export function decodeKey(encoded: string): Buffer {
  const key = Buffer.from(encoded.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new SecretBoxError(`an encryption key must be ${KEY_BYTES} bytes, base64-encoded`);
  }
  return key;
}

export const generateKey = () => randomBytes(KEY_BYTES).toString('base64');

/**
 * AES-256-GCM for secrets at rest (TOTP secrets, private keys). Sealed values read
 * `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url parts): the key id lets old keys still
 * open what they sealed after a rotation, while new values use the current key. `context`
 * is bound as additional authenticated data, so a sealed value copied to another row or
 * purpose (another user's secret column) fails to open.
 */
export class SecretBox {
  private readonly current: { id: string; key: Buffer };
  private readonly keys: Map<string, Buffer>;

  constructor(currentKey: Buffer, previousKeys: Buffer[] = []) {
    this.current = { id: keyIdOf(currentKey), key: currentKey };
    this.keys = new Map([...previousKeys, currentKey].map((key) => [keyIdOf(key), key]));
  }

  get currentKeyId() {
    return this.current.id;
  }

  seal(plaintext: string | Buffer, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [VERSION, this.current.id, iv, body, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(sealed: string, context: string): Buffer {
    const [version, keyId, iv, body, tag, ...rest] = sealed.split('.');
    const key = this.keys.get(keyId);
    if (version !== VERSION || rest.length > 0 || tag === undefined) {
      throw new SecretBoxError('not a sealed value');
    }
    if (!key) throw new SecretBoxError(`sealed with an unknown key (id ${keyId})`);
    try {
      const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
    } catch {
      throw new SecretBoxError('sealed value failed authentication');
    }
  }

  /** Whether `sealed` uses the current key (false: re-seal it to finish a rotation). */
  isCurrent(sealed: string): boolean {
    return sealed.split('.')[1] === this.current.id;
  }
}
