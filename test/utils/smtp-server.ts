import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './redis-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string | null;
  from: string;
}

/**
 * A real SMTP server (smtp-server, in process) on a free port that records every message it
 * accepts, parsed with mailparser. It can be stopped and started again on the same port,
 * slowed down, and told to refuse recipients.
 */
export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  /** Recipients answered with this SMTP code (e.g. 550 permanent, 451 transient). */
  readonly refuse = new Map<string, number>();
  /** Delay before each message is accepted (lets two senders overlap). */
  delayMs = 0;
  private server?: SMTPServer;
  private waiters: Array<() => void> = [];

  private constructor(readonly port: number) {}

  static async start(): Promise<TestSmtpServer> {
    const smtp = new TestSmtpServer(await freePort());
    await smtp.resume();
    return smtp;
  }

  get url() {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async resume(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      // close() waits this long for clients to hang up, then drops them (default 30 s).
      closeTimeout: 100,
      onRcptTo: (address, _session, callback) => {
        const code = this.refuse.get(address.address);
        if (!code) return callback();
        const err = Object.assign(new Error(`refused by test: ${address.address}`), {
          responseCode: code,
        });
        callback(err);
      },
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then(async (mail) => {
            if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
            this.record(mail);
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Stops listening and drops open connections: the SMTP server is down. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  mailsTo(address: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.to === address);
  }

  /** Resolves once `predicate` holds for the received mails; rejects after `timeoutMs`. */
  async waitFor(
    predicate: (mails: ReceivedMail[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `mail not received in ${timeoutMs} ms; got: ${this.received.map((m) => `${m.to} "${m.subject}"`).join(', ')}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received;
  }

  /** The next mail to `address` (waiting for it), counting those already read. */
  async nextMailTo(address: string, alreadySeen = 0): Promise<ReceivedMail> {
    await this.waitFor((mails) => mails.filter((m) => m.to === address).length > alreadySeen);
    return this.mailsTo(address)[alreadySeen];
  }

  private record(mail: ParsedMail) {
    const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
    this.received.push({
      to: to?.value[0]?.address ?? '',
      from: mail.from?.value[0]?.address ?? '',
      subject: mail.subject ?? '',
      text: mail.text ?? '',
      html: typeof mail.html === 'string' ? mail.html : null,
    });
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }
}

/** The link to the product page `path` in a mail's plain-text part, and its token. */
export function linkIn(mail: ReceivedMail, path: '/reset-password' | '/verify-email') {
  const match = /https?:\/\/\S+/g;
  const links = mail.text.match(match) ?? [];
  const link = links.find((candidate) => new URL(candidate).pathname === path);
  if (!link) throw new Error(`no ${path} link in mail "${mail.subject}": ${mail.text}`);
  const url = new URL(link);
  return { url, token: url.searchParams.get('token')! };
}
