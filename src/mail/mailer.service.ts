import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MailOutboxRepository } from './mail-outbox.repository';
import { MailSender } from './mail-sender.service';
import { MailTemplates, RenderedMail, TemplateName } from './mail-templates';

export interface MailRequest {
  to: string;
  template: TemplateName;
  /** Template variables; `product` is added. */
  vars: Record<string, string>;
}

/** Queues templated mails in the outbox; the MailSender delivers them. */
@Injectable()
export class MailerService {
  constructor(
    private readonly outbox: MailOutboxRepository,
    private readonly sender: MailSender,
    private readonly templates: MailTemplates,
    private readonly config: AppConfig,
  ) {}

  render(request: MailRequest): RenderedMail {
    return this.templates.render(request.template, {
      product: this.config.mail.productName,
      ...request.vars,
    });
  }

  /** In the caller's transaction: the mail exists exactly when the change it reports does. */
  async enqueue(request: MailRequest): Promise<void> {
    await this.enqueueRendered(request.to, this.render(request));
  }

  /** `write = false`: the same statement, no row (see EmailTokensService, equal work). */
  async enqueueRendered(to: string, mail: RenderedMail, write = true): Promise<void> {
    await this.outbox.add(
      { recipient: to, subject: mail.subject, textBody: mail.text, htmlBody: mail.html },
      write,
    );
  }

  /** Call after the transaction that queued mail has committed. */
  deliverSoon() {
    this.sender.wake();
  }

  /** A link to one of the product's pages, e.g. `/reset-password`, carrying `token`. */
  link(path: string, token: string) {
    return `${this.config.mail.appUrl}${path}?token=${encodeURIComponent(token)}`;
  }
}
