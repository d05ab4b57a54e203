import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** `field` and `message` name the offending input, so an unknown key comes back as sent. */
class FieldErrorDto {
  @ApiProperty({ example: 'password' }) field: string;
  @ApiProperty({ example: 'Password must contain at least one number' }) message: string;
}

class ErrorDetailDto {
  @ApiProperty({ pattern: '^[A-Z][A-Z0-9_]*$', maxLength: 64, example: 'VALIDATION_ERROR' })
  code: string;
  @ApiProperty({ maxLength: 200, example: 'Validation failed' }) message: string;
  @ApiPropertyOptional({
    type: [FieldErrorDto],
    description: 'Every failed rule of every field (only on VALIDATION_ERROR)',
  })
  details?: FieldErrorDto[];
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: 2147483647,
    example: 3600,
    description: 'Seconds; only on 429',
  })
  retry_after?: number;
}

/** The one error envelope every failing response carries. */
export class ErrorResponse {
  @ApiProperty({ type: ErrorDetailDto }) error: ErrorDetailDto;
}
