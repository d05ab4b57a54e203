import { ApiProperty } from '@nestjs/swagger';
import { ROLES } from '../user.entity';

/** Swagger shape of the contract's User object (see toPublicUser). */
export class UserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'ada@example.com' }) email: string;
  @ApiProperty({ type: String, nullable: true, example: 'Ada' }) first_name: string | null;
  @ApiProperty({ type: String, nullable: true }) last_name: string | null;
  @ApiProperty({ type: String, nullable: true, example: '+14155550100' }) phone_number:
    string | null;
  @ApiProperty({ enum: ROLES }) role: string;
  @ApiProperty() email_verified: boolean;
  @ApiProperty() phone_verified: boolean;
  @ApiProperty() two_factor_enabled: boolean;
  @ApiProperty({ type: 'object', additionalProperties: true }) preferences: Record<string, unknown>;
  @ApiProperty() is_active: boolean;
  @ApiProperty() login_count: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_login: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}
