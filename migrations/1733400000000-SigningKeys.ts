import { MigrationInterface, QueryRunner } from 'typeorm';

/** Keys for RS256/ES256/EdDSA tokens, generated and rotated by the service (signing-keys/). */
export class SigningKeys1733400000000 implements MigrationInterface {
  name = 'SigningKeys1733400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE signing_keys (
        kid VARCHAR(64) NOT NULL,
        alg VARCHAR(10) NOT NULL,
        public_jwk JSONB NOT NULL,
        private_key_sealed TEXT NOT NULL,
        activates_at TIMESTAMP WITH TIME ZONE NOT NULL,
        revoked_at TIMESTAMP WITH TIME ZONE,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT signing_keys_pkey PRIMARY KEY (kid),
        CONSTRAINT signing_keys_alg_check CHECK ("alg" IN ('RS256', 'ES256', 'EdDSA')),
        CONSTRAINT signing_keys_alg_activates_at_key UNIQUE (alg, activates_at)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE signing_keys`);
  }
}
