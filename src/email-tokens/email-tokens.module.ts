import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module';
import { EmailTokensRepository } from './email-tokens.repository';
import { EmailTokensService } from './email-tokens.service';

/** Tokens mailed to users and the mails carrying them; used by auth and account recovery. */
@Module({
  imports: [MailModule],
  providers: [EmailTokensRepository, EmailTokensService],
  exports: [EmailTokensService],
})
export class EmailTokensModule {}
