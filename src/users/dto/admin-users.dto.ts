import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_PAGE_SIZE, PaginationQueryDto } from '../../common/pagination.dto';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { COUNT_PROPERTY } from '../../common/api-schema';
import { ROLES, type Role } from '../../common/roles';
import { UserDto } from './user.dto';

export class ListUsersQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the email', maxLength: 255 })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  email?: string;
}

/** Both fields optional, but null is never accepted and at least one must be given. */
export class UpdateUserDto {
  @ApiPropertyOptional({ enum: ROLES })
  @ValidateIf((dto: UpdateUserDto, value) => value !== undefined || dto.is_active === undefined)
  @IsIn(ROLES, { message: `role must be one of: ${ROLES.join(', ')}` })
  role?: Role;

  @ApiPropertyOptional({ description: 'false deactivates the user and revokes every session' })
  @ValidateIf((dto: UpdateUserDto, value) => value !== undefined || dto.role === undefined)
  @IsBoolean()
  is_active?: boolean;
}

export class UserListDto {
  @ApiProperty({ type: [UserDto], maxItems: MAX_PAGE_SIZE }) data: UserDto[];
  @ApiProperty({ ...COUNT_PROPERTY, minimum: 1, example: 1 }) page: number;
  @ApiProperty({ ...COUNT_PROPERTY, minimum: 1, maximum: MAX_PAGE_SIZE, example: 20 })
  limit: number;
  @ApiProperty({ ...COUNT_PROPERTY, example: 42 }) total: number;
}
