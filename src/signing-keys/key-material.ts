import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint } from 'jose';
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
  fitting(alg, createPublicKey({ key: jwk, format: 'jwk' }));

export const importPrivateKey = (alg: AsymmetricAlgorithm, pem: string) =>
  fitting(alg, createPrivateKey(pem));

/** The key, if it is of the algorithm's type (RSA of 2048 bits or more, P-256, Ed25519). */
function fitting(alg: AsymmetricAlgorithm, key: KeyObject): KeyObject {
  const { asymmetricKeyType: type, asymmetricKeyDetails: details } = key;
  const fits =
    alg === 'RS256'
      ? type === 'rsa' && (details?.modulusLength ?? 0) >= 2048
      : alg === 'ES256'
        ? type === 'ec' && details?.namedCurve === 'prime256v1'
        : type === 'ed25519';
  if (!fits) throw new TypeError(`not an ${alg} key`);
  return key;
}
