import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { Transactional } from '@nestjs-cls/transactional';
import { AuditService } from '../audit/audit.service';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import { SecretBox } from '../crypto/secret-box';
import { AppConfig } from '../config/app-config';
import type { AsymmetricAlgorithm } from '../config/env.schema';
import { SessionsService } from '../sessions/sessions.service';
import { KvStore } from '../store/kv-store';
import { KeyRing, RingKey } from './key-ring';
import { generateKeyMaterial, importPrivateKey, importPublicKey, jwkOf } from './key-material';
import { SigningKeyEntity } from './signing-key.entity';
import { SigningKeysRepository } from './signing-keys.repository';

/** Changed whenever keys are created, re-scheduled or revoked: replicas reload on a change. */
const GENERATION_KEY = 'signing-keys:generation';
const GENERATION_TTL_SECONDS = 366 * 86400;
/** How often each replica looks at the generation (one store read). */
const GENERATION_POLL_MS = 1000;
/**
 * A manually rotated key signs this long after the command: every replica has loaded it by
 * then (GENERATION_POLL_MS), so none still signs with the old key past its retirement.
 */
export const ROTATION_LEAD_SECONDS = 3;
/** A flood of unknown kids costs at most one reload per this interval. */
const UNKNOWN_KID_RELOAD_MS = 1000;

export interface SigningKey {
  kid: string;
  alg: AsymmetricAlgorithm;
  key: KeyObject;
}

const toSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** The AAD a private key is sealed under: it opens only as the key of its own row. */
export const sealContext = (kid: string) => `signing-key:${kid}`;

/**
 * The keys the service signs RS256/ES256/EdDSA tokens with: generated here, stored in
 * PostgreSQL with the private half sealed, rotated on a schedule every replica derives from
 * the same rows (KeyRing). Creation is serialised across replicas by an advisory lock;
 * revocation is also written to the shared store, which every verification consults.
 * Inert with an HS algorithm.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SigningKeys');
  private ring: KeyRing;
  private readonly publicKeys = new Map<string, KeyObject>();
  private readonly privateKeys = new Map<string, Promise<KeyObject>>();
  private readonly sealed = new Map<string, string>();
  private generation: string | null = null;
  private lastUnknownKidReload = 0;
  private loading?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private poller?: NodeJS.Timeout;

  constructor(
    private readonly repository: SigningKeysRepository,
    private readonly store: KvStore,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly box: SecretBox,
  ) {
    this.ring = this.ringOf([]);
  }

  get algorithm(): AsymmetricAlgorithm | undefined {
    return this.config.jwt.asymmetric;
  }

  /** Before the app listens: a usable active key exists (the first replica creates it). */
  async onModuleInit() {
    if (!this.algorithm) return;
    await this.maintain();
    await this.ensureUsableActiveKey();
  }

  onApplicationBootstrap() {
    if (!this.algorithm) return;
    const everyMs = Math.min(60, Math.max(1, this.config.jwt.keyPrepublishSeconds / 4)) * 1000;
    this.timer = setInterval(() => {
      this.maintain().catch((err: Error) =>
        this.logger.warn(`signing key maintenance failed: ${err.message}`),
      );
    }, everyMs).unref();
    this.poller = setInterval(() => {
      this.syncGeneration().catch((err: Error) =>
        this.logger.warn(`signing key reload failed: ${err.message}`),
      );
    }, GENERATION_POLL_MS).unref();
  }

  onModuleDestroy() {
    clearInterval(this.timer);
    clearInterval(this.poller);
  }

  /** Reloads when another replica (or the CLI) changed the keys. */
  async syncGeneration(): Promise<void> {
    const generation = await this.store.get(GENERATION_KEY);
    if (generation !== this.generation) await this.reload();
  }

  /** Creates the first or the next key when the schedule says so, then reloads. */
  async maintain(): Promise<void> {
    await this.reload();
    const due = this.ring.due(this.now());
    if (!due || due.createAt > this.now()) return;
    if (await this.createDueKey()) await this.bumpGeneration();
    await this.reload();
  }

  @Transactional()
  private async createDueKey(): Promise<boolean> {
    await this.repository.lockCreators();
    // Another replica may have created it while this one waited for the lock.
    const ring = this.ringOf(await this.repository.findByAlg(this.alg));
    const now = this.now();
    const due = ring.due(now);
    if (!due || due.createAt > now) return false;
    const first = !ring.active(now);
    const kid = await this.createKey(due.activatesAt);
    await this.audit.record({
      userId: null,
      action: 'SIGNING_KEY_ROTATED',
      resource: 'signing_key',
      details: {
        kid,
        alg: this.alg,
        activates_at: new Date(due.activatesAt * 1000).toISOString(),
        reason: first ? 'initial' : 'scheduled',
      },
    });
    return true;
  }

  /** `keys rotate`: the next key (pre-published or new) starts signing in ROTATION_LEAD_SECONDS. */
  async rotate(): Promise<{ kid: string; previousKid?: string }> {
    const result = await this.rotateLocked();
    await this.bumpGeneration();
    await this.reload();
    return result;
  }

  @Transactional()
  private async rotateLocked() {
    await this.repository.lockCreators();
    const outcome = await this.startNextKey('soon');
    await this.audit.record({
      userId: null,
      action: 'SIGNING_KEY_ROTATED',
      resource: 'signing_key',
      details: { kid: outcome.kid, previous_kid: outcome.previousKid ?? null, reason: 'manual' },
    });
    return outcome;
  }

  /**
   * `keys revoke`: the key verifies nothing from now on, on every replica (the shared store
   * is written before the commit, so a failure leaves the key as it was). Revoking the
   * active key starts the next one at once.
   */
  async revoke(kid: string): Promise<{ revoked: boolean; replacementKid?: string }> {
    const result = await this.revokeLocked(kid);
    if (result.revoked) {
      await this.bumpGeneration();
      await this.reload();
    }
    return result;
  }

  @Transactional()
  private async revokeLocked(kid: string): Promise<{ revoked: boolean; replacementKid?: string }> {
    await this.repository.lockCreators();
    if (!(await this.repository.revoke(kid, this.clock.now()))) return { revoked: false };
    const ring = this.ringOf(await this.repository.findByAlg(this.alg));
    const replacement =
      ring.active(this.now())?.kid === kid ? (await this.startNextKey('now')).kid : undefined;
    await this.audit.record({
      userId: null,
      action: 'SIGNING_KEY_REVOKED',
      resource: 'signing_key',
      details: { kid, replacement_kid: replacement ?? null },
    });
    await this.sessions.revokeSigningKey(kid, this.maxTokenTtlSeconds());
    return { revoked: true, replacementKid: replacement };
  }

  /**
   * The key to sign with now, from memory: signing happens inside request transactions, and
   * a database read there could wait for a connection the transaction itself holds (PGlite
   * has one). Changes arrive through the generation poll and `maintain()`.
   */
  async signingKey(): Promise<SigningKey> {
    const active = this.ring.active(this.now());
    if (!active || active.revokedAt !== null) {
      this.maintain().catch((err: Error) =>
        this.logger.warn(`signing key maintenance failed: ${err.message}`),
      );
      throw AppError.unavailable();
    }
    return { kid: active.kid, alg: this.alg, key: await this.privateKey(active.kid) };
  }

  /** The public key for a token's kid, if published; unknown kids trigger a rate-limited reload. */
  async verificationKey(kid: string): Promise<KeyObject | undefined> {
    const known = this.publicKeys.get(kid);
    if (known) return known;
    const now = Date.now();
    if (now - this.lastUnknownKidReload < UNKNOWN_KID_RELOAD_MS) return undefined;
    this.lastUnknownKidReload = now;
    await this.reload();
    return this.publicKeys.get(kid);
  }

  /** Whether a token signed by `kid` and issued at `iat` is within that key's window now. */
  accepts(kid: string, iat: number): boolean {
    return this.ring.accepts(kid, iat, this.now());
  }

  /** The JWKS document and how long it may be cached. */
  jwks(): { keys: Array<Record<string, string>>; maxAgeSeconds: number } {
    if (!this.algorithm) return { keys: [], maxAgeSeconds: 3600 };
    const now = this.now();
    return {
      keys: this.ring.published(now).map((key) => jwkOf(key)),
      maxAgeSeconds: this.ring.cacheSeconds(now),
    };
  }

  private get alg(): AsymmetricAlgorithm {
    return this.algorithm!;
  }

  private now() {
    return Math.floor(this.clock.now().getTime() / 1000);
  }

  private maxTokenTtlSeconds() {
    const { accessTtlSeconds, refreshTtlSeconds } = this.config.jwt;
    return Math.max(accessTtlSeconds, refreshTtlSeconds);
  }

  private ringOf(rows: SigningKeyEntity[]) {
    const keys: RingKey[] = rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      publicJwk: row.publicJwk,
      activatesAt: toSeconds(row.activatesAt),
      revokedAt: row.revokedAt ? toSeconds(row.revokedAt) : null,
    }));
    return new KeyRing(keys, {
      rotationSeconds: this.config.jwt.keyRotationSeconds,
      prepublishSeconds: this.config.jwt.keyPrepublishSeconds,
      maxTokenTtlSeconds: this.maxTokenTtlSeconds(),
    });
  }

  /**
   * Promotes the pre-published key, or creates one. After a rotation it signs
   * ROTATION_LEAD_SECONDS later, so that no replica signs with the old key past its
   * retirement; after a revocation, at once (the revoked key's tokens die anyway).
   */
  private async startNextKey(when: 'soon' | 'now') {
    const ring = this.ringOf(await this.repository.findByAlg(this.alg));
    const now = this.now();
    const previous = ring.active(now);
    const activatesAt = Math.max(
      when === 'now' ? now : now + ROTATION_LEAD_SECONDS,
      (previous?.activatesAt ?? 0) + 1,
    );
    const next = ring.next(now);
    if (next) {
      await this.repository.setActivation(next.kid, new Date(activatesAt * 1000));
      return { kid: next.kid, previousKid: previous?.kid };
    }
    return { kid: await this.createKey(activatesAt), previousKid: previous?.kid };
  }

  private async createKey(activatesAt: number): Promise<string> {
    const material = await generateKeyMaterial(this.alg);
    await this.repository.insert({
      kid: material.kid,
      alg: this.alg,
      publicJwk: material.publicJwk,
      privateKeySealed: this.box.seal(material.privatePem, sealContext(material.kid)),
      activatesAt: new Date(activatesAt * 1000),
    });
    this.logger.log(
      `signing key ${material.kid} (${this.alg}) created, signs from ${new Date(activatesAt * 1000).toISOString()}`,
    );
    return material.kid;
  }

  private async bumpGeneration() {
    await this.store.set(GENERATION_KEY, String(Date.now()), GENERATION_TTL_SECONDS);
  }

  /** One reload at a time; callers arriving meanwhile share it. */
  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load() {
    // The generation is read first: a change after it is seen on the next signature.
    const generation = await this.store.get(GENERATION_KEY);
    const rows = await this.repository.findByAlg(this.alg);
    const ring = this.ringOf(rows);
    const published = ring.published(this.now());
    const imported = published.map(
      (key) =>
        [
          key.kid,
          this.publicKeys.get(key.kid) ?? importPublicKey(this.alg, key.publicJwk),
        ] as const,
    );
    this.publicKeys.clear();
    for (const [kid, key] of imported) this.publicKeys.set(kid, key);
    for (const row of rows) this.sealed.set(row.kid, row.privateKeySealed);
    for (const kid of this.privateKeys.keys())
      if (!this.publicKeys.has(kid)) this.privateKeys.delete(kid);
    this.ring = ring;
    this.generation = generation;
  }

  private privateKey(kid: string): Promise<KeyObject> {
    let key = this.privateKeys.get(kid);
    if (!key) {
      const sealed = this.sealed.get(kid);
      key = Promise.resolve()
        .then(() =>
          importPrivateKey(
            this.alg,
            this.box.open(sealed ?? '', sealContext(kid)).toString('utf8'),
          ),
        )
        .catch((err: Error) => {
          this.privateKeys.delete(kid);
          throw new Error(`signing key ${kid} cannot be opened: ${err.message}`);
        });
      this.privateKeys.set(kid, key);
    }
    return key;
  }

  /** Fails start-up when the active key cannot be opened (another SECRETS_ENCRYPTION_KEY). */
  private async ensureUsableActiveKey() {
    const active = this.ring.active(this.now());
    if (!active) return;
    try {
      await this.privateKey(active.kid);
    } catch (err) {
      throw new Error(
        `${(err as Error).message}; set SECRETS_ENCRYPTION_KEY (or SECRETS_ENCRYPTION_KEYS_PREVIOUS) to the key it was sealed with`,
        { cause: err },
      );
    }
  }
}
