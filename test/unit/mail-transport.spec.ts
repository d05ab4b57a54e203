import { Logger, type LoggerService } from '@nestjs/common';
import { loadConfig } from '../../src/config/app-config';
import { MailTemplates } from '../../src/mail/mail-templates';
import {
  DevelopmentLogTransport,
  mailTransportFor,
  SmtpTransport,
} from '../../src/mail/mail-transport';

const SECRET = {
  JWT_SECRET_KEY: 'a-production-secret-that-is-long-enough-0123456789',
  SECRETS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
};

describe(mailTransportFor.name, () => {
  it('prints mails to the log only in development without SMTP_URL; never in production', () => {
    expect(mailTransportFor(loadConfig({ NODE_ENV: 'development' }))).toBeInstanceOf(
      DevelopmentLogTransport,
    );
    expect(mailTransportFor(loadConfig({ NODE_ENV: 'production', ...SECRET }))).toBeNull();
    expect(mailTransportFor(loadConfig({ NODE_ENV: 'test' }))).toBeNull();
    for (const NODE_ENV of ['development', 'production', 'test']) {
      const sut = mailTransportFor(
        loadConfig({ NODE_ENV, SMTP_URL: 'smtp://127.0.0.1:2525', ...SECRET }),
      );
      expect(sut).toBeInstanceOf(SmtpTransport);
      sut?.close();
    }
  });

  it('the development transport logs the whole message, link included', async () => {
    const lines: string[] = [];
    const capture: LoggerService = {
      log: () => undefined,
      error: () => undefined,
      warn: (message: unknown) => void lines.push(String(message)),
    };
    Logger.overrideLogger(capture);
    try {
      const sut = new DevelopmentLogTransport();
      await sut.send({
        to: 'ada@example.com',
        subject: 'Reset your Perfect21 password',
        text: 'http://localhost:3000/reset-password?token=abc',
        html: null,
      });
    } finally {
      Logger.overrideLogger(false);
    }
    expect(lines.join('\n')).toContain('To: ada@example.com');
    expect(lines.join('\n')).toContain('http://localhost:3000/reset-password?token=abc');
  });
});

describe(MailTemplates.name, () => {
  const sut = new MailTemplates();

  it('fills the placeholders; the plain-text part is always there, the HTML part escaped', () => {
    const mail = sut.render('password-reset', {
      product: 'Acme <Cloud>',
      email: 'ada@example.com',
      link: 'https://app.example.com/reset-password?token=abc&x=1',
      ttl: '30 minutes',
    });
    expect(mail.subject).toBe('Reset your Acme <Cloud> password');
    expect(mail.text).toContain('https://app.example.com/reset-password?token=abc&x=1');
    expect(mail.text).toContain('30 minutes');
    expect(mail.html).toContain('Acme &lt;Cloud&gt;');
    expect(mail.html).toContain('href="https://app.example.com/reset-password?token=abc&amp;x=1"');
    expect(mail.text).not.toMatch(/\{\{\w+\}\}/);
  });

  it('refuses to render with a variable missing', () => {
    expect(() => sut.render('verify-email', { product: 'Acme' })).toThrow(/\{\{email\}\}/);
  });

  it('the notice mails carry no link at all', () => {
    const notice = sut.render('password-changed', { product: 'Acme', email: 'a@x.io' });
    expect(notice.text).not.toMatch(/https?:\/\//);
    expect(notice.html).toBeNull();
  });
});
