import { SMTPServer } from 'smtp-server';

/** One message received by the test SMTP server, with its headers and HTML body decoded. */
export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  html: string;
  raw: string;
}

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=` / `=?UTF-8?B?…?=`). */
function decodeHeader(v: string): string {
  return v
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_, _cs, enc: string, data: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')));
}

function decodeBody(headers: string, body: string): string {
  const enc = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body);
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** Splits a raw message into a single-part or multipart HTML body (what our mails use). */
function parse(raw: string): { subject: string; html: string } {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = head!.replace(/\r?\n[ \t]+/g, ' ');
  const subject = decodeHeader(/^subject:\s*(.*)$/im.exec(headers)?.[1] ?? '');
  const body = rest.join('\r\n\r\n');
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(headers)?.[1];
  if (!boundary) return { subject, html: decodeBody(headers, body.replace(/\r?\n$/, '')) };
  for (const part of body.split(`--${boundary}`)) {
    const [ph, ...pb] = part.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
    if (/content-type:\s*text\/html/i.test(ph ?? '')) return { subject, html: decodeBody(ph!, pb.join('\r\n\r\n').replace(/\r?\n$/, '')) };
  }
  return { subject, html: '' };
}

/** A real SMTP server on loopback that keeps every message it receives. */
export class Mailbox {
  readonly messages: ReceivedMail[] = [];
  private waiters: (() => void)[] = [];
  private constructor(private readonly server: SMTPServer, readonly port: number) {}

  static async start(opts: { rejectAll?: boolean; auth?: { user: string; pass: string } } = {}): Promise<Mailbox> {
    let box: Mailbox;
    const server = new SMTPServer({
      disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return callback(null, { user: auth.username });
        callback(new Error('Invalid username or password'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (opts.rejectAll) return callback(new Error('mailbox unavailable'));
          const raw = Buffer.concat(chunks).toString('utf8');
          box.messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            ...parse(raw),
          });
          for (const w of box.waiters.splice(0)) w();
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.server.address() as { port: number }).port;
    box = new Mailbox(server, port);
    return box;
  }

  /** Waits for the next message addressed to `to` (received after `since` messages). */
  async waitFor(to: string, since = 0, timeoutMs = 5000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.slice(since).find((x) => x.to.some((a) => a.toLowerCase() === to.toLowerCase()));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no mail for ${to} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Settings that point the server's mailer at this mailbox. */
  settings(): Record<string, string> {
    return { smtpHost: '127.0.0.1', smtpPort: String(this.port), smtpUser: '', smtpPass: '', smtpEncryption: '0', fromName: 'Cloudreve Test', fromAdress: 'noreply@test.local' };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The first link in an HTML body, with HTML entities in it decoded. */
export function firstLink(html: string): URL {
  const href = /href="([^"]+)"/.exec(html)?.[1];
  if (!href) throw new Error(`no link in mail: ${html.slice(0, 200)}`);
  return new URL(href.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"'));
}
