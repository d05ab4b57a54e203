import { ApiProperty } from '@nestjs/swagger';

/** One dependency's result in @nestjs/terminus's body. */
export class HealthIndicatorDto {
  @ApiProperty({ enum: ['up', 'down'] }) status: 'up' | 'down';
  @ApiProperty({ required: false, maxLength: 500, description: 'Why the check failed' })
  message?: string;
}

const INDICATORS = {
  type: 'object',
  additionalProperties: { $ref: '#/components/schemas/HealthIndicatorDto' },
  description: 'By dependency name: `database`, and `redis` when REDIS_URL is set',
} as const;

/** @nestjs/terminus's standard body (the contract's health shape), on 200 and on 503. */
export class HealthCheckDto {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] }) status: 'ok' | 'error' | 'shutting_down';
  @ApiProperty({ ...INDICATORS, description: 'The dependencies that answered' })
  info: Record<string, HealthIndicatorDto>;
  @ApiProperty({ ...INDICATORS, description: 'The dependencies that did not answer' })
  error: Record<string, HealthIndicatorDto>;
  @ApiProperty({ ...INDICATORS, description: 'Every dependency checked' })
  details: Record<string, HealthIndicatorDto>;
}
