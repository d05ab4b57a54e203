import { Check, Column, CreateDateColumn, Entity, PrimaryColumn, Unique } from 'typeorm';
import type { AsymmetricAlgorithm } from '../config/env.schema';

/** A JWK's public members as published (RFC 7517), without kid/alg/use. */
export type PublicJwk = Record<string, string>;

/**
 * A key the service signs tokens with (RS256, ES256, EdDSA). Its retirement is not stored:
 * it is the activation of the next key of the same algorithm, so every replica derives the
 * same schedule from the same rows.
 */
@Entity('signing_keys')
@Check('signing_keys_alg_check', `"alg" IN ('RS256', 'ES256', 'EdDSA')`)
@Unique('signing_keys_alg_activates_at_key', ['alg', 'activatesAt'])
export class SigningKeyEntity {
  /** RFC 7638 thumbprint of the public key. */
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'signing_keys_pkey' })
  kid: string;

  @Column({ type: 'varchar', length: 10 })
  alg: AsymmetricAlgorithm;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk: PublicJwk;

  /** PKCS#8 PEM sealed with the secrets encryption key (SecretBox, AAD = kid). */
  @Column({ name: 'private_key_sealed', type: 'text' })
  privateKeySealed: string;

  /** Whole seconds, so that a token's `iat` compares exactly. */
  @Column({ name: 'activates_at', type: 'timestamptz' })
  activatesAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
