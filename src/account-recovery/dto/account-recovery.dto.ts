import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { EMAIL_PROPERTY, NEW_PASSWORD_PROPERTY } from '../../common/api-schema';
import { NormalizeEmail } from '../../common/validators';
import { IsStrongPassword } from '../../credentials/password-policy';

/** Issued tokens are 43 characters; anything much longer is refused before hashing. */
const TOKEN_PROPERTY = {
  description: 'The `token` query parameter of the link in the mail (43 URL-safe characters)',
  pattern: '^[A-Za-z0-9_-]+$',
  maxLength: 256,
  example: 'pX3b2Qm9vZp0sVqgkq7rQ5o1mS0yWk0xN8v9eHk4a2U',
} as const;

export const PASSWORD_RULES =
  '8+ characters, upper- and lower-case letters, a digit, one of @$!%*?&, at most 72 bytes, not a common password';

export class ForgotPasswordDto {
  @ApiProperty({
    ...EMAIL_PROPERTY,
    example: 'ada@example.com',
    description: 'Trimmed and lower-cased',
  })
  @NormalizeEmail()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(255)
  email: string;
}

export class ResetPasswordDto {
  @ApiProperty(TOKEN_PROPERTY)
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  token: string;

  @ApiProperty({
    ...NEW_PASSWORD_PROPERTY,
    example: 'Difference@Engine1822',
    description: PASSWORD_RULES,
  })
  @IsString()
  @IsStrongPassword()
  new_password: string;
}

export class VerifyEmailDto {
  @ApiProperty(TOKEN_PROPERTY)
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  token: string;
}

export class ChangeEmailDto {
  @ApiProperty({
    ...EMAIL_PROPERTY,
    example: 'ada.lovelace@example.org',
    description: 'Trimmed and lower-cased',
  })
  @NormalizeEmail()
  @IsEmail({}, { message: 'new_email must be a valid email address' })
  @MaxLength(255)
  new_email: string;

  @ApiProperty({
    format: 'password',
    minLength: 1,
    maxLength: 1024,
    example: 'Analytical@Engine1843',
    description: 'The current password; a mismatch is 401 INVALID_CREDENTIALS',
  })
  @IsString()
  @IsNotEmpty()
  password: string;
}

export class AcceptedDto {
  @ApiProperty({
    maxLength: 200,
    example: 'If that email is registered, a password reset link has been sent',
  })
  message: string;
}
