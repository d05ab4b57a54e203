import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeviceTokenEntity } from './device-token.entity';
import { DeviceTokensCleanupService } from './device-tokens-cleanup.service';
import { DeviceTokensRepository } from './device-tokens.repository';
import { DeviceTokensService } from './device-tokens.service';

@Module({
  imports: [TypeOrmModule.forFeature([DeviceTokenEntity])],
  providers: [DeviceTokensRepository, DeviceTokensService, DeviceTokensCleanupService],
  exports: [DeviceTokensService],
})
export class DevicesModule {}
