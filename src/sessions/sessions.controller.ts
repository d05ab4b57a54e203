import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { AppError } from '../common/app-error';
import { Auth, ClientInfo, ClientMeta, CurrentUser, Principal } from '../common/decorators';
import { ErrorResponse } from '../common/error-response.dto';
import { SessionsService, toPublicSession } from './sessions.service';

class SessionDto {
  @ApiProperty({ format: 'uuid', description: "The tokens' `sid`" }) id: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) last_used: string;
  @ApiProperty({ format: 'date-time' }) expires_at: string;
  @ApiProperty({ type: String, nullable: true }) ip_address: string | null;
  @ApiProperty({ type: String, nullable: true }) user_agent: string | null;
  @ApiProperty({ description: 'The session of the token making this request' }) current: boolean;
}

class SessionListDto {
  @ApiProperty({ type: [SessionDto] }) data: SessionDto[];
}

export const uuidParam = new ParseUUIDPipe({
  exceptionFactory: () => AppError.validation([{ field: 'id', message: 'id must be a UUID' }]),
});

@ApiTags('sessions')
@Controller('api/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @Auth()
  @ApiOkResponse({ type: SessionListDto })
  async list(@CurrentUser() principal: Principal) {
    const sessions = await this.sessions.listActive(principal.userId);
    return { data: sessions.map((s) => toPublicSession(s, principal.sessionId)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @Auth()
  @ApiNoContentResponse({
    description: "Revoked: the session's refresh and access tokens stop working",
  })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No such active session of yours' })
  async revoke(
    @CurrentUser() principal: Principal,
    @Param('id', uuidParam) id: string,
    @ClientMeta() client: ClientInfo,
  ) {
    await this.sessions.revokeOwned(principal, id, client);
  }
}
