import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import {
  DATE_TIME_PROPERTY,
  IP_PROPERTY,
  USER_AGENT_PROPERTY,
  UUID_PARAM,
  UUID_PROPERTY,
} from '../common/api-schema';
import { ApiOp } from '../common/api-operation';
import { Auth, ClientInfo, ClientMeta, CurrentUser, Principal } from '../common/decorators';
import { ErrorResponse } from '../common/error-response.dto';
import { uuidParam } from '../common/validation';
import { SessionsService, toPublicSession } from './sessions.service';
import { Audit } from '../audit/audit.decorator';
import { AuditedRoutes } from '../audit/audit.interceptor';

class SessionDto {
  @ApiProperty({ ...UUID_PROPERTY, description: "The tokens' `sid`" }) id: string;
  @ApiProperty(DATE_TIME_PROPERTY) created_at: string;
  @ApiProperty(DATE_TIME_PROPERTY) last_used: string;
  @ApiProperty(DATE_TIME_PROPERTY) expires_at: string;
  @ApiProperty({ type: String, nullable: true, ...IP_PROPERTY }) ip_address: string | null;
  @ApiProperty({ type: String, nullable: true, ...USER_AGENT_PROPERTY }) user_agent: string | null;
  @ApiProperty({ description: 'The session of the token making this request' }) current: boolean;
}

class SessionListDto {
  @ApiProperty({ type: [SessionDto] }) data: SessionDto[];
}

@ApiTags('sessions')
@AuditedRoutes()
@Controller('api/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOp({ id: 'listSessions', summary: 'List your active sessions' })
  @Auth()
  @ApiOkResponse({ type: SessionListDto })
  async list(@CurrentUser() principal: Principal) {
    const sessions = await this.sessions.listActive(principal.userId);
    return { data: sessions.map((s) => toPublicSession(s, principal.sessionId)) };
  }

  @Delete(':id')
  @ApiOp({ id: 'revokeSession', summary: 'End one of your sessions' })
  @Audit('SESSION_REVOKED', 'session')
  @HttpCode(204)
  @Auth()
  @ApiNoContentResponse({
    description: "Revoked: the session's refresh and access tokens stop working",
  })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No such active session of yours' })
  @ApiParam(UUID_PARAM)
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'VALIDATION_ERROR: id is not a UUID' })
  async revoke(
    @CurrentUser() principal: Principal,
    @Param('id', uuidParam) id: string,
    @ClientMeta() client: ClientInfo,
  ) {
    await this.sessions.revokeOwned(principal, id, client);
  }
}
