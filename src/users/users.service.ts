import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/decorators';
import { UpdateMeDto } from './dto/update-me.dto';
import { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

@Injectable()
export class UsersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
  ) {}

  updateMe(userId: string, dto: UpdateMeDto, client: ClientInfo): Promise<UserEntity> {
    const changes: Partial<UserEntity> = {};
    if (dto.first_name !== undefined) changes.firstName = dto.first_name;
    if (dto.last_name !== undefined) changes.lastName = dto.last_name;
    if (dto.phone_number !== undefined) changes.phoneNumber = dto.phone_number;
    if (dto.preferences !== undefined) changes.preferences = dto.preferences;
    return this.dataSource.transaction(async (manager) => {
      const user = await this.users.update(manager, userId, changes);
      await this.audit.record(manager, {
        userId,
        action: 'USER_UPDATED',
        resource: 'user',
        details: { fields: Object.keys(dto).sort() },
        client,
      });
      return user;
    });
  }
}
