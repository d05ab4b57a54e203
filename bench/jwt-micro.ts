import { createSecretKey, randomUUID } from 'node:crypto';
import { type CryptoKey, jwtVerify, SignJWT } from 'jose';
import type { JwtAlgorithm } from '../src/config/env.schema';
import {
  generateKeyMaterial,
  importPrivateKey,
  importPublicKey,
} from '../src/signing-keys/key-material';

/**
 * Cost of one signature and one verification per algorithm, with the keys imported the way
 * the service imports them (WebCrypto keys, once) and the service's claims and options.
 * `npm run bench:jwt [-- iterations]`. Numbers on a shared machine are indicative only.
 */
const ITERATIONS = Number(process.argv[2] ?? 3000);
const ALGORITHMS: JwtAlgorithm[] = ['HS256', 'RS256', 'ES256', 'EdDSA'];
const OPTIONS = { issuer: 'perfect21-auth', audience: 'perfect21-api' };

async function keysFor(alg: JwtAlgorithm): Promise<{ sign: CryptoKey; verify: CryptoKey }> {
  if (alg.startsWith('HS')) {
    const key = createSecretKey(Buffer.from('x'.repeat(48))).toCryptoKey(
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    return { sign: key, verify: key };
  }
  const material = await generateKeyMaterial(alg as 'RS256' | 'ES256' | 'EdDSA');
  return {
    sign: await importPrivateKey(alg as 'RS256', material.privatePem),
    verify: await importPublicKey(alg as 'RS256', material.publicJwk),
  };
}

const sign = (alg: JwtAlgorithm, key: CryptoKey) =>
  new SignJWT({
    sub: randomUUID(),
    role: 'user',
    type: 'access',
    sid: randomUUID(),
    jti: randomUUID(),
  })
    .setProtectedHeader({ alg, typ: 'JWT', kid: 'bench' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .setIssuer(OPTIONS.issuer)
    .setAudience(OPTIONS.audience)
    .sign(key);

/** Mean wall time and CPU time (all threads) per call, in µs. */
async function measure(fn: () => Promise<unknown>) {
  for (let i = 0; i < Math.min(500, ITERATIONS); i++) await fn();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) await fn();
  const wall = Number(process.hrtime.bigint() - started) / 1000 / ITERATIONS;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / ITERATIONS };
}

async function main() {
  const rows: string[] = ['| algorithm | sign µs (cpu) | verify µs (cpu) |', '|---|---|---|'];
  for (const alg of ALGORITHMS) {
    const keys = await keysFor(alg);
    const token = await sign(alg, keys.sign);
    const signing = await measure(() => sign(alg, keys.sign));
    const verifying = await measure(() =>
      jwtVerify(token, keys.verify, { ...OPTIONS, algorithms: [alg] }),
    );
    const cell = (m: { wall: number; cpu: number }) => `${m.wall.toFixed(0)} (${m.cpu.toFixed(0)})`;
    rows.push(`| ${alg} | ${cell(signing)} | ${cell(verifying)} |`);
  }
  process.stdout.write(
    `${ITERATIONS} iterations each, node ${process.version}\n${rows.join('\n')}\n`,
  );
}

void main();
