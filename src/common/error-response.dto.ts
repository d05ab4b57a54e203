import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class FieldErrorDto {
  @ApiProperty({ example: 'password' }) field: string;
  @ApiProperty({ example: 'Password must contain at least one number' }) message: string;
}

class ErrorDetailDto {
  @ApiProperty({ example: 'VALIDATION_ERROR' }) code: string;
  @ApiProperty({ example: 'Validation failed' }) message: string;
  @ApiPropertyOptional({ type: [FieldErrorDto] }) details?: FieldErrorDto[];
  @ApiPropertyOptional({ example: 3600, description: 'Seconds; only on 429' }) retry_after?: number;
}

/** The one error envelope every failing response carries. */
export class ErrorResponse {
  @ApiProperty({ type: ErrorDetailDto }) error: ErrorDetailDto;
}
