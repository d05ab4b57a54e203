import { Logger } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import type { AppConfig } from '../config/app-config';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string | null;
}

export abstract class MailTransport {
  abstract send(mail: OutgoingMail): Promise<void>;
  close(): void {}
}

/** Kept under the claim lease (MAIL_LEASE_SECONDS), so a slow server cannot outlive it. */
const SMTP_TIMEOUTS_MS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 20_000,
};

export class SmtpTransport extends MailTransport {
  private readonly transporter: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    super();
    this.transporter = createTransport({ url, ...SMTP_TIMEOUTS_MS });
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transporter.sendMail({
      from: this.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      ...(mail.html ? { html: mail.html } : {}),
    });
  }

  override close() {
    this.transporter.close();
  }
}

/**
 * Development without SMTP_URL: the whole message, link included, goes to the log so the
 * flows can be tried locally. This is the one place a token is logged; `mailTransportFor`
 * never builds it outside NODE_ENV=development.
 */
export class DevelopmentLogTransport extends MailTransport {
  private readonly logger = new Logger('Mail');

  send(mail: OutgoingMail): Promise<void> {
    this.logger.warn(
      `development mail (SMTP_URL is not set)\nTo: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}`,
    );
    return Promise.resolve();
  }
}

/** null: no transport; messages wait in the outbox until SMTP_URL is set. */
export function mailTransportFor(config: AppConfig): MailTransport | null {
  if (config.mail.smtpUrl) return new SmtpTransport(config.mail.smtpUrl, config.mail.from);
  if (config.env === 'development') return new DevelopmentLogTransport();
  return null;
}
