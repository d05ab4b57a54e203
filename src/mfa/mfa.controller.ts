import { Body, Controller, Delete, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Audit } from '../audit/audit.decorator';
import { ApiOp } from '../common/api-operation';
import { UUID_PARAM } from '../common/api-schema';
import { Auth, ClientInfo, ClientMeta, CurrentUser, Principal } from '../common/decorators';
import { ErrorResponse } from '../common/error-response.dto';
import { uuidParam } from '../common/validation';
import {
  DisableMfaDto,
  MfaCodeDto,
  RecoveryCodesResponseDto,
  TotpCodeDto,
  TotpSetupResponseDto,
} from './dto/mfa.dto';
import { MfaService } from './mfa.service';
import { AuditedRoutes } from '../audit/audit.interceptor';

/** Secrets and recovery codes are shown once: never cached on the way. */
const noStore = (reply: FastifyReply) =>
  reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');

@ApiTags('mfa')
@ApiBadRequestResponse({ type: ErrorResponse, description: 'VALIDATION_ERROR / INVALID_MFA_CODE' })
@AuditedRoutes()
@Controller('api')
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Post('auth/mfa/totp/setup')
  @HttpCode(200)
  @Auth()
  @ApiOp({
    id: 'setupTotp',
    summary: 'Start TOTP enrolment: a new secret, its otpauth:// URL and a QR code',
    description: 'Not active until enabled; calling again replaces a pending secret.',
    errors: { 409: ['CONFLICT'] },
  })
  @ApiOkResponse({ type: TotpSetupResponseDto })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Two-factor authentication already on' })
  setup(@CurrentUser() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    noStore(reply);
    return this.mfa.setup(principal.userId);
  }

  @Post('auth/mfa/totp/enable')
  @HttpCode(200)
  @Auth()
  @Audit('MFA_ENABLED', 'user')
  @ApiOp({
    id: 'enableTotp',
    summary: 'Turn TOTP on with a current code; returns ten recovery codes, shown only here',
    errors: { 400: ['INVALID_MFA_CODE'], 409: ['CONFLICT'] },
  })
  @ApiOkResponse({ type: RecoveryCodesResponseDto })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Already enabled, or no setup yet' })
  enable(
    @CurrentUser() principal: Principal,
    @Body() dto: TotpCodeDto,
    @ClientMeta() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    noStore(reply);
    return this.mfa.enable(principal.userId, dto.code, client);
  }

  @Post('auth/mfa/recovery-codes')
  @HttpCode(200)
  @Auth()
  @Audit('RECOVERY_CODES_REGENERATED', 'user')
  @ApiOp({
    id: 'regenerateRecoveryCodes',
    summary: 'Replace the recovery codes with a fresh set',
    errors: { 400: ['INVALID_MFA_CODE'], 409: ['CONFLICT'] },
  })
  @ApiOkResponse({ type: RecoveryCodesResponseDto })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Two-factor authentication is off' })
  regenerate(
    @CurrentUser() principal: Principal,
    @Body() dto: MfaCodeDto,
    @ClientMeta() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    noStore(reply);
    return this.mfa.regenerateRecoveryCodes(principal.userId, dto.code, client);
  }

  @Post('auth/mfa/totp/disable')
  @HttpCode(204)
  @Auth()
  @Audit('MFA_DISABLED', 'user')
  @ApiOp({
    id: 'disableTotp',
    summary: 'Turn two-factor authentication off (password and a code)',
    errors: { 400: ['INVALID_MFA_CODE'], 401: ['INVALID_CREDENTIALS'], 409: ['CONFLICT'] },
  })
  @ApiNoContentResponse({ description: 'Off; the secret and recovery codes are deleted' })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'INVALID_CREDENTIALS' })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Two-factor authentication is off' })
  async disable(
    @CurrentUser() principal: Principal,
    @Body() dto: DisableMfaDto,
    @ClientMeta() client: ClientInfo,
  ) {
    await this.mfa.disable(principal.userId, dto.password, dto.code, client);
  }

  @Delete('users/:id/mfa')
  @HttpCode(204)
  @Auth('admin')
  @Audit('MFA_RESET', 'user', { aboutTargetUser: true })
  @ApiTags('users')
  @ApiOp({
    id: 'resetUserMfa',
    summary: 'Reset a user’s two-factor authentication (admin only; lost device)',
    description: 'Turns MFA off and revokes every session of the user.',
    errors: { 404: ['NOT_FOUND'] },
  })
  @ApiNoContentResponse({ description: 'MFA off, sessions revoked' })
  @ApiParam(UUID_PARAM)
  @ApiNotFoundResponse({ type: ErrorResponse })
  async reset(
    @CurrentUser() actor: Principal,
    @Param('id', uuidParam) id: string,
    @ClientMeta() client: ClientInfo,
  ) {
    await this.mfa.reset(actor, id, client);
  }
}
