import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { JWT_PROPERTY, UUID_PROPERTY } from '../../common/api-schema';

/** RFC 7662 §2.1, as JSON or application/x-www-form-urlencoded. */
export class IntrospectDto {
  @ApiProperty({ ...JWT_PROPERTY, description: 'The token to look at' })
  @IsString()
  token: string;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'], description: 'Ignored hint' })
  @IsOptional()
  @IsIn(['access_token', 'refresh_token'])
  token_type_hint?: string;
}

const EPOCH = { type: 'integer', format: 'int64', minimum: 0, maximum: 253402300799 } as const;

/** RFC 7662 §2.2. Only `active` when the token is not a valid, unrevoked access token. */
export class IntrospectionResponseDto {
  @ApiProperty()
  active: boolean;

  @ApiPropertyOptional({ ...UUID_PROPERTY, description: 'User id' })
  sub?: string;

  @ApiPropertyOptional({ ...UUID_PROPERTY, description: 'Session id' })
  sid?: string;

  @ApiPropertyOptional({
    enum: ['user', 'moderator', 'admin'],
    description: "The user's current role",
  })
  role?: string;

  @ApiPropertyOptional({ maxLength: 64 })
  jti?: string;

  @ApiPropertyOptional(EPOCH)
  iat?: number;

  @ApiPropertyOptional(EPOCH)
  exp?: number;

  @ApiPropertyOptional({ maxLength: 255 })
  iss?: string;

  @ApiPropertyOptional({ maxLength: 255 })
  aud?: string;

  @ApiPropertyOptional({ enum: ['aal1', 'aal2'] })
  aal?: string;

  @ApiPropertyOptional({ enum: ['access_token'] })
  token_type?: string;
}
