import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConsumes,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiOp } from '../common/api-operation';
import { Public } from '../common/decorators';
import { ErrorResponse } from '../common/error-response.dto';
import { AccessTokenVerifier } from './access-token.verifier';
import { IntrospectDto, IntrospectionResponseDto } from './dto/introspection.dto';
import { IntrospectionGuard } from './introspection.guard';
import { AuditedRoutes } from '../audit/audit.interceptor';

export const INTROSPECTION_PATH = '/api/auth/introspect';

/** RFC 7662 for resource servers that would rather ask than verify (or must see revocations). */
@ApiTags('auth')
@AuditedRoutes()
@Controller('api/auth')
export class IntrospectionController {
  constructor(private readonly verifier: AccessTokenVerifier) {}

  @Post('introspect')
  @ApiOp({
    id: 'introspectToken',
    summary: 'Is this access token active? (RFC 7662)',
    errors: { 401: ['UNAUTHORIZED'], 404: ['NOT_FOUND'] },
  })
  @Public()
  @UseGuards(IntrospectionGuard)
  @HttpCode(200)
  @ApiBearerAuth('introspection')
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiOkResponse({
    type: IntrospectionResponseDto,
    description:
      'A valid, unrevoked access token: its claims and `active: true`. Anything else (expired, revoked, a refresh token, garbage): `{"active": false}`. Sees revocations at once.',
  })
  @ApiUnauthorizedResponse({
    type: ErrorResponse,
    description: 'Missing or wrong INTROSPECTION_TOKEN',
  })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'INTROSPECTION_TOKEN is not set' })
  async introspect(
    @Body() dto: IntrospectDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IntrospectionResponseDto> {
    reply.header('Cache-Control', 'no-store');
    const found = await this.verifier.authenticate(dto.token);
    if (!found) return { active: false };
    const { claims, principal } = found;
    return {
      active: true,
      sub: claims.sub,
      sid: claims.sid,
      role: principal.role,
      jti: claims.jti,
      iat: claims.iat,
      exp: claims.exp,
      iss: claims.iss,
      aud: Array.isArray(claims.aud) ? claims.aud.join(' ') : claims.aud,
      // Tokens from before MFA carry no aal: they were issued after a password alone.
      aal: claims.aal ?? 'aal1',
      token_type: 'access_token',
    };
  }
}
