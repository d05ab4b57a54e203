import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { E164_PROPERTY } from '../../common/api-schema';
import { IsE164, SanitizeName } from '../../common/validators';

export class UpdateMeDto {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 50, example: 'Ada' })
  @IsOptional()
  @SanitizeName()
  @IsString()
  @MaxLength(50)
  first_name?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 50, example: 'Lovelace' })
  @IsOptional()
  @SanitizeName()
  @IsString()
  @MaxLength(50)
  last_name?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    ...E164_PROPERTY,
    example: '+14155550100',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsE164()
  phone_number?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Replaces the stored object',
  })
  @ValidateIf((_, value) => value !== undefined)
  @IsObject()
  preferences?: Record<string, unknown>;
}
