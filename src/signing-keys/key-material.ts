import { generateKeyPair, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, importJWK, importPKCS8, type CryptoKey } from 'jose';
import type { AsymmetricAlgorithm } from '../config/env.schema';
import type { PublicJwk } from './signing-key.entity';

const generate = promisify(generateKeyPair);

export interface NewKeyMaterial {
  kid: string;
  publicJwk: PublicJwk;
  privatePem: string;
}

function keyPair(
  alg: AsymmetricAlgorithm,
): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  switch (alg) {
    case 'RS256':
      return generate('rsa', { modulusLength: 2048 });
    case 'ES256':
      return generate('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generate('ed25519');
  }
}

/** A fresh key pair; the kid is the public key's RFC 7638 thumbprint. */
export async function generateKeyMaterial(alg: AsymmetricAlgorithm): Promise<NewKeyMaterial> {
  const { publicKey, privateKey } = await keyPair(alg);
  const publicJwk = publicKey.export({ format: 'jwk' }) as PublicJwk;
  return {
    kid: await calculateJwkThumbprint(publicJwk, 'sha256'),
    publicJwk,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** The JWKS entry of a key (RFC 7517). */
export const jwkOf = (key: { kid: string; alg: string; publicJwk: PublicJwk }) => ({
  ...key.publicJwk,
  kid: key.kid,
  alg: key.alg,
  use: 'sig',
});

export const importPublicKey = (alg: AsymmetricAlgorithm, jwk: PublicJwk) =>
  importJWK({ ...jwk, alg }, alg) as Promise<CryptoKey>;

export const importPrivateKey = (alg: AsymmetricAlgorithm, pem: string) => importPKCS8(pem, alg);
