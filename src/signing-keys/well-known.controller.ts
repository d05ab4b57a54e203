import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiOp } from '../common/api-operation';
import { Public } from '../common/decorators';
import { AppConfig } from '../config/app-config';
import { JwksDto, OpenIdConfigurationDto } from './dto/discovery.dto';
import { SigningKeysService } from './signing-keys.service';

const CLAIMS = ['sub', 'role', 'type', 'sid', 'jti', 'iat', 'exp', 'iss', 'aud', 'amr', 'aal'];

/** What other services need to verify our tokens themselves (JWKS, discovery). */
@ApiTags('discovery')
@Public()
@Controller('.well-known')
export class WellKnownController {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly config: AppConfig,
  ) {}

  @Get('jwks.json')
  @ApiOp({ id: 'getJwks', summary: 'Public keys that verify our tokens (JWKS)' })
  @ApiOkResponse({
    type: JwksDto,
    description:
      'Public signing keys (RFC 7517). `Cache-Control: public, max-age=N`, N never past the next key’s activation.',
  })
  jwks(@Res({ passthrough: true }) reply: FastifyReply): JwksDto {
    const { keys, maxAgeSeconds } = this.keys.jwks();
    reply.header('Cache-Control', `public, max-age=${maxAgeSeconds}`);
    return { keys: keys as unknown as JwksDto['keys'] };
  }

  @Get('openid-configuration')
  @ApiOp({
    id: 'getOpenIdConfiguration',
    summary: 'Discovery document: issuer, JWKS and introspection URLs',
  })
  @ApiOkResponse({ type: OpenIdConfigurationDto })
  openidConfiguration(): OpenIdConfigurationDto {
    const base = this.config.publicUrl;
    return {
      issuer: this.config.jwt.issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      introspection_endpoint: `${base}/api/auth/introspect`,
      id_token_signing_alg_values_supported: [this.config.jwt.algorithm],
      claims_supported: CLAIMS,
    };
  }
}
