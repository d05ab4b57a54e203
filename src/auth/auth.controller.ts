import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiTags,
  getSchemaPath,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiOp } from '../common/api-operation';
import { Auth, ClientInfo, ClientMeta, CurrentUser, Principal, Public } from '../common/decorators';
import { ErrorResponse } from '../common/error-response.dto';
import { MfaChallengeDto, MfaVerifyDto } from '../mfa/dto/mfa.dto';
import { RateLimited } from '../rate-limit/rate-limit.decorator';
import { AuthService } from './auth.service';
import {
  AuthResponseDto,
  ChangePasswordDto,
  LoginDto,
  LoginResponseDto,
  RefreshDto,
  RefreshResponseDto,
  RegisterDto,
} from './dto/auth.dto';
import { Audit } from '../audit/audit.decorator';
import { AuditedRoutes } from '../audit/audit.interceptor';

const noStore = (reply: FastifyReply) =>
  reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');

@ApiTags('auth')
@AuditedRoutes()
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @ApiOp({
    id: 'register',
    summary: 'Create an account and start a session',
    errors: { 409: ['CONFLICT'] },
  })
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
  @ApiOp({
    id: 'login',
    summary: 'Log in with email and password',
    errors: { 401: ['INVALID_CREDENTIALS', 'ACCOUNT_LOCKED'], 403: ['EMAIL_NOT_VERIFIED'] },
  })
  @Audit('LOGIN_FAILED', 'auth')
  @Public()
  @RateLimited('login')
  @HttpCode(200)
  @ApiExtraModels(LoginResponseDto, MfaChallengeDto)
  @ApiOkResponse({
    description:
      'Logged in; or, when two-factor authentication is on, the challenge for POST /api/auth/mfa/verify',
    schema: {
      oneOf: [{ $ref: getSchemaPath(LoginResponseDto) }, { $ref: getSchemaPath(MfaChallengeDto) }],
    },
  })
  @ApiUnauthorizedResponse({
    type: ErrorResponse,
    description: 'Login refused',
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
  @ApiOp({
    id: 'verifyMfa',
    summary: 'Finish a login with a TOTP code or a recovery code',
    description:
      'Send `code` or `recovery_code`. The mfa_token is single use, lives 300 s and dies after 5 wrong codes.',
    errors: { 401: ['INVALID_MFA_CODE', 'INVALID_TOKEN', 'ACCOUNT_LOCKED'] },
  })
  @ApiOkResponse({ type: LoginResponseDto })
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
  @ApiOp({
    id: 'refreshTokens',
    summary: 'Exchange a refresh token for a new token pair (rotation)',
    errors: { 401: ['INVALID_TOKEN', 'TOKEN_REUSED'] },
  })
  @Audit('TOKEN_REFRESHED', 'auth')
  @Public()
  @RateLimited('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: RefreshResponseDto })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Refresh token refused' })
  refresh(
    @Body() dto: RefreshDto,
    @ClientMeta() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    noStore(reply);
    return this.auth.refresh(dto, client);
  }

  @Post('logout')
  @ApiOp({ id: 'logout', summary: 'End this session' })
  @Audit('USER_LOGOUT', 'auth')
  @HttpCode(204)
  @Auth()
  @ApiNoContentResponse({ description: "This session's access and refresh tokens are revoked" })
  async logout(@CurrentUser() principal: Principal, @ClientMeta() client: ClientInfo) {
    await this.auth.logout(principal, client);
  }

  @Post('logout-all')
  @ApiOp({ id: 'logoutAll', summary: 'End every session of this user' })
  @Audit('LOGOUT_ALL', 'auth')
  @HttpCode(204)
  @Auth()
  @ApiNoContentResponse({ description: 'Every session of the user is revoked' })
  async logoutAll(@CurrentUser() principal: Principal, @ClientMeta() client: ClientInfo) {
    await this.auth.logoutAll(principal, client);
  }

  @Post('change-password')
  @ApiOp({
    id: 'changePassword',
    summary: 'Change the password; every other session ends',
    errors: { 401: ['UNAUTHORIZED', 'INVALID_CREDENTIALS'] },
  })
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
