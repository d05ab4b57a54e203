import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';

const TOTP_CODE_PROPERTY = {
  pattern: '^\\d{6}$',
  maxLength: 6,
  example: '492039',
  description: 'The 6-digit code the authenticator app shows now',
} as const;
const RECOVERY_CODE_PROPERTY = {
  pattern: '^[0-9A-Za-z -]{1,64}$',
  maxLength: 64,
  example: '7KQFM-2XD9R-TA3PZ-H8WQC-4NVEB',
  description: 'One of the recovery codes (case, spaces and hyphens do not matter)',
} as const;
const ANY_CODE_PROPERTY = {
  maxLength: 64,
  example: '492039',
  description: 'A 6-digit TOTP code, or one of the recovery codes',
} as const;
const RECOVERY_CODE_FORMAT = '^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$';
const TOTP_CODE_MESSAGE = 'code must be the 6-digit code of the authenticator app';

export class TotpCodeDto {
  @ApiProperty(TOTP_CODE_PROPERTY)
  @IsString()
  @Matches(/^\d{6}$/, { message: TOTP_CODE_MESSAGE })
  code: string;
}

export class MfaCodeDto {
  @ApiProperty(ANY_CODE_PROPERTY)
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  code: string;
}

export class DisableMfaDto {
  @ApiProperty({ format: 'password', minLength: 1, description: 'The current password' })
  @IsString()
  @IsNotEmpty()
  password: string;

  @ApiProperty(ANY_CODE_PROPERTY)
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  code: string;
}

export class MfaVerifyDto {
  @ApiProperty({
    pattern: '^[A-Za-z0-9_-]{43}$',
    maxLength: 43,
    description: 'From the login response with `mfa_required: true`',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  mfa_token: string;

  @ApiPropertyOptional({ ...TOTP_CODE_PROPERTY, description: 'Either this or recovery_code' })
  @ValidateIf((dto: MfaVerifyDto) => dto.recovery_code === undefined || dto.code !== undefined)
  @IsString({ message: 'send either code or recovery_code' })
  @Matches(/^\d{6}$/, { message: TOTP_CODE_MESSAGE })
  code?: string;

  @ApiPropertyOptional({ ...RECOVERY_CODE_PROPERTY, description: 'Either this or code' })
  @ValidateIf((dto: MfaVerifyDto) => dto.code === undefined && dto.recovery_code !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  recovery_code?: string;
}

export class TotpSetupResponseDto {
  @ApiProperty({
    pattern: '^[A-Z2-7]{32}$',
    maxLength: 32,
    description: 'Base32 secret (160 bits), for typing into an authenticator by hand',
  })
  secret: string;

  @ApiProperty({
    format: 'uri',
    maxLength: 2048,
    example:
      'otpauth://totp/Perfect21:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Perfect21&algorithm=SHA1&digits=6&period=30',
  })
  otpauth_url: string;

  @ApiProperty({
    format: 'uri',
    maxLength: 65536,
    description: 'The otpauth_url as a QR code: an SVG image as a data URL',
  })
  qr_code: string;
}

export class RecoveryCodesResponseDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'string', pattern: RECOVERY_CODE_FORMAT, maxLength: 29 },
    maxItems: 10,
    minItems: 10,
    description: 'Ten single-use recovery codes, shown only here',
    example: Array.from({ length: 10 }, (_, i) => `7KQFM-2XD9R-TA3PZ-H8WQC-4NVE${i}`),
  })
  recovery_codes: string[];
}

export class MfaChallengeDto {
  @ApiProperty({ enum: ['MFA required'] }) message: string;
  @ApiProperty({ enum: [true] }) mfa_required: boolean;
  @ApiProperty({ pattern: '^[A-Za-z0-9_-]{43}$', maxLength: 43 }) mfa_token: string;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 300, example: 300 })
  expires_in: number;
}
