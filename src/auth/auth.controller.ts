import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Auth, ClientInfo, ClientMeta, CurrentUser, Principal, Public } from '../common/decorators';
import { ErrorResponse } from '../common/error-response.dto';
import { MfaChallengeDto, MfaVerifyDto } from '../mfa/dto/mfa.dto';
import { RateLimited } from '../rate-limit/rate-limit.decorator';
import { AuthService } from './auth.service';
import {
  AuthResponseDto,
  ChangePasswordDto,
  LoginDto,
  RefreshDto,
  RefreshResponseDto,
  RegisterDto,
} from './dto/auth.dto';
import { Audit } from '../audit/audit.decorator';

const noStore = (reply: FastifyReply) =>
  reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');

@ApiTags('auth')
@ApiBadRequestResponse({ type: ErrorResponse, description: 'VALIDATION_ERROR / BAD_REQUEST' })
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @Audit('USER_REGISTERED', 'auth')
  @Public()
  @RateLimited('register')
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Email already registered' })
  register(
    @Body() dto: RegisterDto,
    @ClientMeta() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    noStore(reply);
    return this.auth.register(dto, client);
  }

  @Post('login')
  @Audit('LOGIN_FAILED', 'auth')
  @Public()
  @RateLimited('login')
  @HttpCode(200)
  @ApiExtraModels(AuthResponseDto, MfaChallengeDto)
  @ApiOkResponse({
    description:
      'Logged in; or, when two-factor authentication is on, the challenge for POST /api/auth/mfa/verify',
    schema: {
      oneOf: [{ $ref: getSchemaPath(AuthResponseDto) }, { $ref: getSchemaPath(MfaChallengeDto) }],
    },
  })
  @ApiUnauthorizedResponse({
    type: ErrorResponse,
    description: 'INVALID_CREDENTIALS / ACCOUNT_LOCKED',
  })
  login(
    @Body() dto: LoginDto,
    @ClientMeta() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    noStore(reply);
    return this.auth.login(dto, client);
  }

  @Post('mfa/verify')
  @Public()
  @RateLimited('mfa')
  @HttpCode(200)
  @Audit('MFA_FAILED', 'auth')
  @ApiOperation({
    summary: 'Second login step: a TOTP code or a recovery code for the mfa_token',
    description:
      'Send `code` or `recovery_code`. The mfa_token is single use, lives 300 s and dies after 5 wrong codes.',
  })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({
    type: ErrorResponse,
    description:
      'INVALID_MFA_CODE / INVALID_TOKEN (bad, expired or spent mfa_token) / ACCOUNT_LOCKED',
  })
  verifyMfa(
    @Body() dto: MfaVerifyDto,
    @ClientMeta() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    noStore(reply);
    return this.auth.verifyMfa(dto, client);
  }

  @Post('refresh')
  @Audit('TOKEN_REFRESHED', 'auth')
  @Public()
  @RateLimited('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: RefreshResponseDto })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'INVALID_TOKEN / TOKEN_REUSED' })
  refresh(
    @Body() dto: RefreshDto,
    @ClientMeta() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    noStore(reply);
    return this.auth.refresh(dto, client);
  }

  @Post('logout')
  @Audit('USER_LOGOUT', 'auth')
  @HttpCode(204)
  @Auth()
  @ApiNoContentResponse({ description: "This session's access and refresh tokens are revoked" })
  async logout(@CurrentUser() principal: Principal, @ClientMeta() client: ClientInfo) {
    await this.auth.logout(principal, client);
  }

  @Post('logout-all')
  @Audit('LOGOUT_ALL', 'auth')
  @HttpCode(204)
  @Auth()
  @ApiNoContentResponse({ description: 'Every session of the user is revoked' })
  async logoutAll(@CurrentUser() principal: Principal, @ClientMeta() client: ClientInfo) {
    await this.auth.logoutAll(principal, client);
  }

  @Post('change-password')
  @Audit('PASSWORD_CHANGED', 'auth')
  @HttpCode(204)
  @Auth()
  @ApiNoContentResponse({ description: 'Changed; every other session is revoked' })
  async changePassword(
    @CurrentUser() principal: Principal,
    @Body() dto: ChangePasswordDto,
    @ClientMeta() client: ClientInfo,
  ) {
    await this.auth.changePassword(principal, dto, client);
  }
}
