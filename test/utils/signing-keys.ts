import { Clock } from '../../src/common/clock';
import { importPKCS8, type CryptoKey } from 'jose';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../src/crypto/secret-box';
import { sealContext } from '../../src/signing-keys/signing-keys.service';
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
    .query<Array<{ alg: string; private_key_sealed: string }>>(
      'SELECT alg, private_key_sealed FROM signing_keys WHERE kid = $1',
      [kid],
    );
  const pem = t.app.get(SecretBox).open(row.private_key_sealed, sealContext(kid)).toString('utf8');
  return importPKCS8(pem, row.alg, { extractable: true });
}

/** Moves the app's Clock forward by `seconds` (negative: back), instead of sleeping. */
export function advanceClock(t: TestApp, seconds: number) {
  const clock = t.app.get(Clock);
  const previous = clock.now.bind(clock);
  clock.now = () => new Date(previous().getTime() + seconds * 1000);
}
