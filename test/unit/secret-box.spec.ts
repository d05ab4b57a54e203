import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_MEMORY_DATA_DIR } from '../../src/config/app-config';
import { DEV_KEY_FILE, loadEncryptionKeys } from '../../src/crypto/encryption-keys';
import { decodeKey, generateKey, SecretBox } from '../../src/crypto/secret-box';

describe(SecretBox.name, () => {
  const oldKey = decodeKey(generateKey());
  const newKey = decodeKey(generateKey());

  it('round-trips and never stores the plaintext', () => {
    const sut = new SecretBox(newKey);
    const sealed = sut.seal('JBSWY3DPEHPK3PXP', 'totp-secret:u1');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(sealed).toMatch(/^v1\.[\w-]{8}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sut.open(sealed, 'totp-secret:u1').toString()).toBe('JBSWY3DPEHPK3PXP');
    expect(sut.seal('x', 'c')).not.toBe(sut.seal('x', 'c')); // fresh IV each time
  });

  it('refuses another context, a tampered value and an unknown key', () => {
    const sut = new SecretBox(newKey);
    const sealed = sut.seal('secret', 'totp-secret:u1');
    expect(() => sut.open(sealed, 'totp-secret:u2')).toThrow(/authentication/);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => sut.open(parts.join('.'), 'totp-secret:u1')).toThrow(/authentication/);
    expect(() => new SecretBox(oldKey).open(sealed, 'totp-secret:u1')).toThrow(/unknown key/);
    expect(() => sut.open('garbage', 'c')).toThrow(/not a sealed value/);
  });

  it('rotates: previous keys still open old values, new values use the current key', () => {
    const sealedOld = new SecretBox(oldKey).seal('secret', 'c');
    const sut = new SecretBox(newKey, [oldKey]);
    expect(sut.open(sealedOld, 'c').toString()).toBe('secret');
    expect(sut.isCurrent(sealedOld)).toBe(false);
    expect(sut.isCurrent(sut.seal('secret', 'c'))).toBe(true);
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => decodeKey(Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
  });

  it('keeps a generated development key in DATA_DIR across restarts', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'p21-keys-'));
    try {
      const config = { secrets: { previousKeys: [] }, dataDir };
      const first = loadEncryptionKeys(config).current;
      const second = loadEncryptionKeys(config).current;
      expect(second.equals(first)).toBe(true);
      expect(statSync(join(dataDir, DEV_KEY_FILE)).mode & 0o777).toBe(0o600);
      expect(decodeKey(readFileSync(join(dataDir, DEV_KEY_FILE), 'utf8')).equals(first)).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps the key of an in-memory database in memory, writing no file', () => {
    const cwd = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'p21-keys-'));
    try {
      process.chdir(dir);
      const key = loadEncryptionKeys({
        secrets: { previousKeys: [] },
        dataDir: IN_MEMORY_DATA_DIR,
      });
      expect(key.current).toHaveLength(32);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
