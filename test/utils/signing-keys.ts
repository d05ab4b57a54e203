import { importPKCS8, type CryptoKey } from 'jose';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../src/common/secret-box';
import type { TestApp } from './test-app';

export const decodeJose = (token: string, index: 0 | 1) =>
  JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

/** A stored signing key's private half, opened as someone holding the database and the encryption key would. */
export async function privateKeyOf(t: TestApp, kid: string): Promise<CryptoKey> {
  const [row] = await t.app
    .get(DataSource)
    .query<
      Array<{ alg: string; private_key_sealed: string }>
    >('SELECT alg, private_key_sealed FROM signing_keys WHERE kid = $1', [kid]);
  const pem = new SecretBox(t.config.secretsKey).open(row.private_key_sealed, kid);
  return importPKCS8(pem, row.alg, { extractable: true });
}
