import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Auth, ClientInfo, ClientMeta, CurrentUser, Principal, Public } from '../common/decorators';
import { ErrorResponse } from '../common/error-response.dto';
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
  @ApiOkResponse({ type: AuthResponseDto })
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
