import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { loadEncryptionKeys } from './encryption-keys';
import { SecretBox } from './secret-box';

/** Encryption of secrets at rest (AES-256-GCM), for every module that stores one. */
@Global()
@Module({
  providers: [
    {
      provide: SecretBox,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const { current, previous } = loadEncryptionKeys(config);
        return new SecretBox(current, previous);
      },
    },
  ],
  exports: [SecretBox],
})
export class CryptoModule {}
