import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { IsAccountEmail } from '../../common/email-address';
import { IsE164, NormalizeEmail, SanitizeName } from '../../common/validators';
import { IsStrongPassword } from '../../credentials/password-policy';
import {
  E164_PROPERTY,
  EMAIL_PROPERTY,
  JWT_PROPERTY,
  NEW_PASSWORD_PROPERTY,
} from '../../common/api-schema';
import { MAX_DEVICE_TOKEN_LENGTH } from '../../devices/device-tokens.service';
import { UserDto } from '../../users/dto/user.dto';

const PASSWORD_RULES =
  '8+ characters, upper- and lower-case letters, a digit, one of @$!%*?&, at most 72 bytes, not a common password';

export class RegisterDto {
  @ApiProperty({
    ...EMAIL_PROPERTY,
    example: 'ada@example.com',
    description:
      'Trimmed, NFKC-normalised, lower-cased, domain in IDNA ASCII form; invisible ' +
      'characters and mixed scripts within one part are refused (README "Security")',
  })
  @NormalizeEmail()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @IsAccountEmail()
  @MaxLength(255)
  email: string;

  @ApiProperty({
    ...NEW_PASSWORD_PROPERTY,
    example: 'Analytical@Engine1843',
    description: PASSWORD_RULES,
  })
  @IsString()
  @IsStrongPassword()
  password: string;

  @ApiPropertyOptional({ type: String, maxLength: 50, example: 'Ada' })
  @IsOptional()
  @SanitizeName()
  @IsString()
  @MaxLength(50)
  first_name?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: 50, example: 'Lovelace' })
  @IsOptional()
  @SanitizeName()
  @IsString()
  @MaxLength(50)
  last_name?: string | null;

  @ApiPropertyOptional({
    type: String,
    ...E164_PROPERTY,
    example: '+14155550100',
    description: 'E.164',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsE164()
  phone_number?: string | null;
}

export class LoginDto {
  @ApiProperty({ ...EMAIL_PROPERTY, example: 'ada@example.com' })
  @NormalizeEmail()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @IsAccountEmail()
  email: string;

  @ApiProperty({
    format: 'password',
    minLength: 1,
    example: 'Analytical@Engine1843',
    description: 'Any other mismatch, over 72 bytes included, is 401 INVALID_CREDENTIALS',
  })
  @IsString()
  @IsNotEmpty()
  password: string;

  @ApiPropertyOptional({
    type: String,
    maxLength: MAX_DEVICE_TOKEN_LENGTH,
    pattern: '^[A-Za-z0-9_-]+$',
    example: 'm3mX0cQe9oVd5fJ1lK2wqYb7nZ4tR8uA6sH0pL3eC1g',
    description:
      'The device_token of an earlier login on this device. When it is a live device token of ' +
      "this user, the email's lockout neither blocks nor counts this login; its own wrong " +
      "passwords count per device. Unknown, expired, revoked or another user's: ignored.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DEVICE_TOKEN_LENGTH)
  device_token?: string;
}

export class RefreshDto {
  @ApiProperty({ ...JWT_PROPERTY, description: 'The refresh token of the last token response' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  refresh_token: string;
}

export class ChangePasswordDto {
  @ApiProperty({
    format: 'password',
    minLength: 1,
    description: 'A mismatch, over 72 bytes included, is 401 INVALID_CREDENTIALS',
  })
  @IsString()
  @IsNotEmpty()
  current_password: string;

  @ApiProperty({ ...NEW_PASSWORD_PROPERTY, description: PASSWORD_RULES })
  @IsString()
  @IsStrongPassword()
  new_password: string;
}

export class TokensDto {
  @ApiProperty(JWT_PROPERTY) access_token: string;
  @ApiProperty(JWT_PROPERTY) refresh_token: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type: string;
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 10,
    maximum: 86400,
    example: 3600,
    description: 'Seconds until the access token expires (ACCESS_TOKEN_TTL_SECONDS)',
  })
  expires_in: number;
}

export class AuthResponseDto {
  @ApiProperty({ enum: ['User registered successfully', 'Login successful'] }) message: string;
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty({
    type: TokensDto,
    nullable: true,
    description: 'null after register when REQUIRE_EMAIL_VERIFICATION=true',
  })
  tokens: TokensDto | null;
}

export class LoginResponseDto extends AuthResponseDto {
  @ApiProperty({
    type: String,
    minLength: 43,
    maxLength: MAX_DEVICE_TOKEN_LENGTH,
    pattern: '^[A-Za-z0-9_-]+$',
    example: 'm3mX0cQe9oVd5fJ1lK2wqYb7nZ4tR8uA6sH0pL3eC1g',
    description:
      'Opaque, 256 random bits, valid DEVICE_TOKEN_TTL_SECONDS (90 days). Keep it like a ' +
      'refresh token and send it with the next login from this device; each login returns a ' +
      'new one and retires the one it came with. Revoked by logout-all, password change and ' +
      'password reset.',
  })
  device_token: string;
}

export class RefreshResponseDto {
  @ApiProperty({ type: TokensDto }) tokens: TokensDto;
}
