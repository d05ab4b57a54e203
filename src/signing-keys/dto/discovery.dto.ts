import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const B64U = { pattern: '^[A-Za-z0-9_-]+$', maxLength: 700 } as const;

/** One public key (RFC 7517); which key fields appear depends on `kty`. */
export class JwkDto {
  @ApiProperty({ enum: ['RSA', 'EC', 'OKP'], example: 'OKP' })
  kty: string;

  @ApiProperty({ ...B64U, maxLength: 64, description: 'RFC 7638 thumbprint of the key' })
  kid: string;

  @ApiProperty({ enum: ['RS256', 'ES256', 'EdDSA'], example: 'EdDSA' })
  alg: string;

  @ApiProperty({ enum: ['sig'] })
  use: string;

  @ApiPropertyOptional({ enum: ['P-256', 'Ed25519'], description: 'EC and OKP keys' })
  crv?: string;

  @ApiPropertyOptional({ ...B64U, description: 'EC and OKP keys' })
  x?: string;

  @ApiPropertyOptional({ ...B64U, description: 'EC keys' })
  y?: string;

  @ApiPropertyOptional({ ...B64U, description: 'RSA modulus' })
  n?: string;

  @ApiPropertyOptional({ ...B64U, maxLength: 8, description: 'RSA exponent' })
  e?: string;
}

export class JwksDto {
  @ApiProperty({
    type: [JwkDto],
    maxItems: 1000,
    description: 'Active, next and still-valid retired keys; empty with an HS algorithm',
  })
  keys: JwkDto[];
}

export class OpenIdConfigurationDto {
  @ApiProperty({ maxLength: 255, example: 'perfect21-auth', description: 'JWT_ISSUER' })
  issuer: string;

  @ApiProperty({
    format: 'uri',
    maxLength: 2048,
    example: 'http://localhost:3000/.well-known/jwks.json',
  })
  jwks_uri: string;

  @ApiProperty({
    format: 'uri',
    maxLength: 2048,
    example: 'http://localhost:3000/api/auth/introspect',
  })
  introspection_endpoint: string;

  @ApiProperty({ type: [String], maxItems: 1, example: ['EdDSA'] })
  id_token_signing_alg_values_supported: string[];

  @ApiProperty({ type: [String], maxItems: 20, example: ['sub', 'sid', 'role', 'jti'] })
  claims_supported: string[];
}
