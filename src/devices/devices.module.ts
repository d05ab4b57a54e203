import { Module } from '@nestjs/common';
import { DeviceTokensCleanupService } from './device-tokens-cleanup.service';
import { DeviceTokensRepository } from './device-tokens.repository';
import { DeviceTokensService } from './device-tokens.service';

@Module({
  providers: [DeviceTokensRepository, DeviceTokensService, DeviceTokensCleanupService],
  exports: [DeviceTokensService],
})
export class DevicesModule {}
