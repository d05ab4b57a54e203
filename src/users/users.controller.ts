import { Body, Controller, Get, Patch, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiOp } from '../common/api-operation';
import { Auth, ClientInfo, ClientMeta, CurrentUser, Principal } from '../common/decorators';
import { ErrorResponse } from '../common/error-response.dto';
import { UpdateMeDto } from './dto/update-me.dto';
import { UserDto } from './dto/user.dto';
import { UserProfile } from './user.entity';
import { toPublicUser } from './user.serializer';
import { UsersService } from './users.service';
import { Audit } from '../audit/audit.decorator';
import { AuditedRoutes } from '../audit/audit.interceptor';

@ApiTags('users')
@AuditedRoutes()
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOp({ id: 'getMe', summary: 'Read your own profile' })
  @Auth()
  @ApiOkResponse({ type: UserDto })
  me(@Req() request: FastifyRequest & { currentUser: UserProfile }) {
    return toPublicUser(request.currentUser);
  }

  @Patch('me')
  @ApiOp({ id: 'updateMe', summary: 'Update your own profile (names, phone, preferences)' })
  @Audit('USER_UPDATED', 'user')
  @Auth()
  @ApiOkResponse({ type: UserDto })
  @ApiBadRequestResponse({ type: ErrorResponse })
  async updateMe(
    @CurrentUser() principal: Principal,
    @Body() dto: UpdateMeDto,
    @ClientMeta() client: ClientInfo,
  ) {
    return toPublicUser(await this.users.updateMe(principal.userId, dto, client));
  }
}
