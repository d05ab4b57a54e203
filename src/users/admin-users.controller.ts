import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { UUID_PARAM } from '../common/api-schema';
import { ApiOp } from '../common/api-operation';
import { Auth, ClientInfo, ClientMeta, CurrentUser, Principal } from '../common/decorators';
import { ErrorResponse } from '../common/error-response.dto';
import { uuidParam } from '../common/validation';
import { AdminUsersService } from './admin-users.service';
import { ListUsersQueryDto, UpdateUserDto, UserListDto } from './dto/admin-users.dto';
import { UserDto } from './dto/user.dto';
import { toPublicUser } from './user.serializer';
import { Audit } from '../audit/audit.decorator';
import type { AuditAction } from '../audit/audit-actions';
import { AuditedRoutes } from '../audit/audit.interceptor';

/** A refused PATCH is recorded as the change it attempted. */
function adminChangeAction(body: unknown): AuditAction {
  const dto = (body ?? {}) as { role?: unknown; is_active?: unknown };
  if (dto.role !== undefined) return 'ROLE_CHANGED';
  return dto.is_active === false ? 'USER_DEACTIVATED' : 'USER_ACTIVATED';
}

@ApiTags('users')
@ApiBadRequestResponse({ type: ErrorResponse, description: 'VALIDATION_ERROR' })
@AuditedRoutes()
@Controller('api/users')
export class AdminUsersController {
  constructor(private readonly admin: AdminUsersService) {}

  @Get()
  @Auth('admin', 'moderator')
  @ApiOp({ id: 'listUsers', summary: 'List users (admin, moderator)' })
  @ApiOkResponse({ type: UserListDto })
  list(@Query() query: ListUsersQueryDto) {
    return this.admin.list(query);
  }

  @Get(':id')
  @Auth('admin', 'moderator')
  @ApiOp({ id: 'getUser', summary: 'Get a user (admin, moderator)' })
  @ApiOkResponse({ type: UserDto })
  @ApiParam(UUID_PARAM)
  @ApiNotFoundResponse({ type: ErrorResponse })
  async get(@Param('id', uuidParam) id: string) {
    return toPublicUser(await this.admin.get(id));
  }

  @Patch(':id')
  @Audit(adminChangeAction, 'user', { aboutTargetUser: true })
  @Auth('admin')
  @ApiOp({
    id: 'updateUser',
    summary: 'Change a user’s role or active state (admin only)',
    description:
      'Takes effect on the user’s next request. Deactivation revokes all their sessions. ' +
      'The last active admin cannot be demoted or deactivated (409).',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiParam(UUID_PARAM)
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Last active admin' })
  async update(
    @CurrentUser() actor: Principal,
    @Param('id', uuidParam) id: string,
    @Body() dto: UpdateUserDto,
    @ClientMeta() client: ClientInfo,
  ) {
    return toPublicUser(await this.admin.update(actor, id, dto, client));
  }

  @Post(':id/unlock')
  @Audit('ACCOUNT_UNLOCKED', 'user', { aboutTargetUser: true })
  @HttpCode(204)
  @Auth('admin')
  @ApiOp({
    id: 'unlockUser',
    summary: 'Clear the failed-login lockout of a user’s email (admin only)',
  })
  @ApiNoContentResponse({ description: 'Lockout cleared' })
  @ApiParam(UUID_PARAM)
  @ApiNotFoundResponse({ type: ErrorResponse })
  async unlock(
    @CurrentUser() actor: Principal,
    @Param('id', uuidParam) id: string,
    @ClientMeta() client: ClientInfo,
  ) {
    await this.admin.unlock(actor, id, client);
  }
}
