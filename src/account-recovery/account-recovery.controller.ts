import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Audit } from '../audit/audit.decorator';
import { ApiOp } from '../common/api-operation';
import { Auth, ClientInfo, ClientMeta, CurrentUser, Principal, Public } from '../common/decorators';
import { ErrorResponse } from '../common/error-response.dto';
import { RateLimited } from '../rate-limit/rate-limit.decorator';
import { UserDto } from '../users/dto/user.dto';
import { AccountRecoveryService } from './account-recovery.service';
import {
  AcceptedDto,
  ChangeEmailDto,
  ForgotPasswordDto,
  ResetPasswordDto,
  VerifyEmailDto,
} from './dto/account-recovery.dto';
import { ERROR_EXAMPLES } from './error-examples';
import { AuditedRoutes } from '../audit/audit.interceptor';

@ApiTags('auth')
@AuditedRoutes()
@Controller('api/auth')
export class AccountRecoveryController {
  constructor(private readonly recovery: AccountRecoveryService) {}

  @Post('forgot-password')
  @ApiOp({ id: 'forgotPassword', summary: 'Ask for a password reset mail' })
  @Public()
  @RateLimited('email')
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: AcceptedDto,
    description:
      'Always this answer, whether the email is registered, unknown or inactive. Only an ' +
      'active account gets a reset mail (link: APP_URL/reset-password?token=…), at most one ' +
      'per address per 60 s.',
  })
  @ApiBadRequestResponse({
    type: ErrorResponse,
    description: 'VALIDATION_ERROR: not an email',
    examples: { validation: ERROR_EXAMPLES.emailInvalid },
  })
  forgotPassword(@Body() dto: ForgotPasswordDto, @ClientMeta() client: ClientInfo) {
    return this.recovery.forgotPassword(dto.email, client);
  }

  @Post('reset-password')
  @ApiOp({
    id: 'resetPassword',
    summary: 'Set a new password with the token of a reset mail',
    errors: { 400: ['INVALID_TOKEN'] },
  })
  @Public()
  @RateLimited('email')
  @HttpCode(204)
  @ApiNoContentResponse({
    description:
      'Password changed; every session revoked, lockout cleared, email verified, a "password ' +
      'changed" mail sent',
  })
  @ApiBadRequestResponse({
    type: ErrorResponse,
    description:
      'INVALID_TOKEN: unknown, expired (PASSWORD_RESET_TTL_SECONDS) or used token. ' +
      'VALIDATION_ERROR naming new_password: the token stays usable.',
    examples: {
      invalid_token: ERROR_EXAMPLES.invalidToken,
      weak_password: ERROR_EXAMPLES.weakPassword,
    },
  })
  async resetPassword(@Body() dto: ResetPasswordDto, @ClientMeta() client: ClientInfo) {
    await this.recovery.resetPassword(dto, client);
  }

  @Post('verify-email')
  @ApiOp({
    id: 'verifyEmail',
    summary: 'Confirm an email address with the token of a mail',
    errors: { 400: ['INVALID_TOKEN'], 409: ['CONFLICT'] },
  })
  @Public()
  @Audit('EMAIL_CHANGED', 'user')
  @HttpCode(200)
  @ApiOkResponse({
    type: UserDto,
    description: 'email_verified is true; an email-change token also switched email',
  })
  @ApiBadRequestResponse({
    type: ErrorResponse,
    description: 'INVALID_TOKEN: unknown, expired (EMAIL_VERIFICATION_TTL_SECONDS) or used token',
    examples: { invalid_token: ERROR_EXAMPLES.invalidToken },
  })
  @ApiConflictResponse({
    type: ErrorResponse,
    description: 'CONFLICT: the new address of an email change was registered meanwhile',
    examples: { conflict: ERROR_EXAMPLES.emailTaken },
  })
  verifyEmail(@Body() dto: VerifyEmailDto, @ClientMeta() client: ClientInfo) {
    return this.recovery.verifyEmail(dto.token, client);
  }

  @Post('resend-verification')
  @ApiOp({
    id: 'resendVerification',
    summary: 'Send a new verification mail',
    errors: { 409: ['CONFLICT'] },
  })
  @Auth()
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: AcceptedDto,
    description:
      'A new verification mail; older links die. Within 60 s of the last one nothing is issued.',
  })
  @ApiConflictResponse({
    type: ErrorResponse,
    description: 'CONFLICT: the email is already verified',
    examples: { conflict: ERROR_EXAMPLES.alreadyVerified },
  })
  resendVerification(@CurrentUser() principal: Principal) {
    return this.recovery.resendVerification(principal);
  }
}

@ApiTags('users')
@AuditedRoutes()
@Controller('api/users')
export class EmailChangeController {
  constructor(private readonly recovery: AccountRecoveryService) {}

  @Post('me/email')
  @ApiOp({
    id: 'changeEmail',
    summary: 'Ask to change the email address (confirmed by a mailed link)',
    errors: { 401: ['INVALID_CREDENTIALS'], 409: ['CONFLICT'] },
  })
  @Auth()
  @Audit('EMAIL_CHANGE_REQUESTED', 'user')
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: AcceptedDto,
    description:
      'A confirmation link to new_email and a notice to the current address; email changes ' +
      'only when the link is used (POST /api/auth/verify-email)',
  })
  @ApiBadRequestResponse({
    type: ErrorResponse,
    description: 'VALIDATION_ERROR',
    examples: { validation: ERROR_EXAMPLES.newEmailInvalid },
  })
  @ApiUnauthorizedResponse({
    type: ErrorResponse,
    description: 'INVALID_CREDENTIALS: wrong password (or UNAUTHORIZED: no valid access token)',
    examples: { wrong_password: ERROR_EXAMPLES.invalidCredentials },
  })
  @ApiConflictResponse({
    type: ErrorResponse,
    description: 'CONFLICT: new_email is already registered',
    examples: { conflict: ERROR_EXAMPLES.emailTaken },
  })
  requestEmailChange(
    @CurrentUser() principal: Principal,
    @Body() dto: ChangeEmailDto,
    @ClientMeta() client: ClientInfo,
  ) {
    return this.recovery.requestEmailChange(principal, dto, client);
  }
}
