import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { MailOutboxEntity } from './mail-outbox.entity';
import { MailOutboxRepository } from './mail-outbox.repository';
import { MAIL_TRANSPORT, MailSender } from './mail-sender.service';
import { MailTemplates } from './mail-templates';
import { mailTransportFor } from './mail-transport';
import { MailerService } from './mailer.service';

@Module({
  imports: [TypeOrmModule.forFeature([MailOutboxEntity])],
  providers: [
    MailOutboxRepository,
    MailSender,
    MailerService,
    { provide: MailTemplates, useFactory: () => new MailTemplates() },
    { provide: MAIL_TRANSPORT, inject: [AppConfig], useFactory: mailTransportFor },
  ],
  exports: [MailerService],
})
export class MailModule {}
