import { ApiProperty } from '@nestjs/swagger';
import {
  COUNT_PROPERTY,
  DATE_TIME_PROPERTY,
  E164_PROPERTY,
  EMAIL_PROPERTY,
  UUID_PROPERTY,
} from '../../common/api-schema';
import { ROLES } from '../../common/roles';

/** Swagger shape of the contract's User object (see toPublicUser). */
export class UserDto {
  @ApiProperty(UUID_PROPERTY) id: string;
  @ApiProperty({ ...EMAIL_PROPERTY, example: 'ada@example.com' }) email: string;
  @ApiProperty({ type: String, nullable: true, maxLength: 50, example: 'Ada' }) first_name:
    string | null;
  @ApiProperty({ type: String, nullable: true, maxLength: 50 }) last_name: string | null;
  @ApiProperty({ type: String, nullable: true, ...E164_PROPERTY, example: '+14155550100' })
  phone_number: string | null;
  @ApiProperty({ enum: ROLES }) role: string;
  @ApiProperty() email_verified: boolean;
  @ApiProperty() phone_verified: boolean;
  @ApiProperty() two_factor_enabled: boolean;
  @ApiProperty({ type: 'object', additionalProperties: true }) preferences: Record<string, unknown>;
  @ApiProperty() is_active: boolean;
  @ApiProperty(COUNT_PROPERTY) login_count: number;
  @ApiProperty({ type: String, ...DATE_TIME_PROPERTY, nullable: true }) last_login: string | null;
  @ApiProperty(DATE_TIME_PROPERTY) created_at: string;
  @ApiProperty(DATE_TIME_PROPERTY) updated_at: string;
}
