import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { Mailbox } from './helpers/mailbox.ts';

interface Seen { path: string; contentType: string; body: string }

/** A stand-in for reCAPTCHA / Turnstile / Cap verify endpoints on loopback. */
class Verifier {
  seen: Seen[] = [];
  reply: 'success' | 'failure' | 'error500' | 'hang' | 'notjson' = 'success';
  private constructor(private readonly server: http.Server, readonly url: string) {}
  static async start(): Promise<Verifier> {
    let v: Verifier;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        v.seen.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') });
        if (v.reply === 'hang') return; // never answers
        if (v.reply === 'error500') return res.writeHead(500).end('{"success":true}');
        if (v.reply === 'notjson') return res.writeHead(200).end('<html>');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: v.reply === 'success' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    v = new Verifier(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    return v;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`captcha on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let verifier: Verifier;
    let mailbox: Mailbox;
    const settings = (v: Record<string, string>) => ts.server.ctx.settings.set(v);
    const answer = (ticket: string) => ts.server.ctx.kv.get<string>(`captcha_${ticket}`);
    const newCaptcha = async () => {
      const r = await ts.client().get('/site/captcha');
      expect(r.code).toBe(0);
      return { ...r.data, answer: (await answer(r.data.ticket))! } as { image: string; ticket: string; answer: string };
    };
    const login = (extra: Record<string, unknown> = {}) => ts.client().post('/session/token', { email: 'user@example.com', password: 'userpass', ...extra });

    beforeAll(async () => {
      verifier = await Verifier.start();
      mailbox = await Mailbox.start();
      ts = await startServer(backend);
      await ts.client().post('/user', { email: 'user@example.com', password: 'userpass' });
      await settings({ ...mailbox.settings(), login_ip_rate_limit: '0', login_rate_limit: '0' });
    });
    afterAll(async () => {
      await ts?.close();
      await verifier?.close();
      await mailbox?.close();
    });
    afterEach(async () => {
      verifier.reply = 'success';
      verifier.seen = [];
      await settings({ login_captcha: '0', reg_captcha: '0', forget_captcha: '0', captcha_type: 'normal', captcha_mode: '3', captcha_CaptchaLen: '6', captcha_width: '240', captcha_height: '60' });
    });

    describe('GET /site/captcha', () => {
      it('returns a PNG data URI of the configured size and a one-time ticket', async () => {
        const a = await newCaptcha();
        expect(a.image.startsWith('data:image/png;base64,')).toBe(true);
        const png = Buffer.from(a.image.slice('data:image/png;base64,'.length), 'base64');
        const meta = await sharp(png).metadata();
        expect(meta).toMatchObject({ format: 'png', width: 240, height: 60 });
        expect(a.answer).toMatch(/^[0-9A-Za-z]{6}$/);
        const b = await newCaptcha();
        expect(b.ticket).not.toBe(a.ticket);
        await settings({ captcha_width: '300', captcha_height: '90', captcha_CaptchaLen: '4' });
        const c = await newCaptcha();
        expect(await sharp(Buffer.from(c.image.split(',')[1]!, 'base64')).metadata()).toMatchObject({ width: 300, height: 90 });
        expect(c.answer).toHaveLength(4);
      });

      it('follows captcha_mode: digits, letters, arithmetic, mixed', async () => {
        await settings({ captcha_mode: '0' });
        expect((await newCaptcha()).answer).toMatch(/^\d{6}$/);
        await settings({ captcha_mode: '1' });
        expect((await newCaptcha()).answer).toMatch(/^[A-Za-z]{6}$/);
        await settings({ captcha_mode: '2' });
        const math = await newCaptcha();
        expect(Number(math.answer)).toBeGreaterThanOrEqual(0);
        expect(Number(math.answer)).toBeLessThanOrEqual(18);
      });
    });

    describe('built-in captcha on the flows that opt in', () => {
      it('sign-in needs a matching captcha; a ticket works once, right or wrong', async () => {
        await settings({ login_captcha: '1' });
        expect(await login()).toMatchObject({ code: 40026, msg: 'CAPTCHA not match.' });
        const a = await newCaptcha();
        expect(await login({ ticket: a.ticket })).toMatchObject({ code: 40026 });
        const b = await newCaptcha();
        expect(await login({ ticket: b.ticket, captcha: 'wrong!' })).toMatchObject({ code: 40026 });
        expect(await login({ ticket: b.ticket, captcha: b.answer })).toMatchObject({ code: 40026 });
        const c = await newCaptcha();
        const ok = await login({ ticket: c.ticket, captcha: ` ${c.answer.toUpperCase()} ` });
        expect(ok.code).toBe(0);
        expect(await login({ ticket: c.ticket, captcha: c.answer })).toMatchObject({ code: 40026 });
        expect(await login({ ticket: 'no-such-ticket', captcha: 'abcdef' })).toMatchObject({ code: 40026 });
        // the captcha is checked before the password
        const d = await newCaptcha();
        expect(await login({ ticket: d.ticket, captcha: 'nope', password: 'wrongpass' })).toMatchObject({ code: 40026 });
        const e = await newCaptcha();
        expect(await login({ ticket: e.ticket, captcha: e.answer, password: 'wrongpass' })).toMatchObject({ code: 40080 });
      });

      it('tcaptcha is treated as the built-in captcha', async () => {
        await settings({ login_captcha: '1', captcha_type: 'tcaptcha' });
        expect((await login()).code).toBe(40026);
        const a = await newCaptcha();
        expect((await login({ ticket: a.ticket, captcha: a.answer })).code).toBe(0);
      });

      it('sign-up and password reset use reg_captcha and forget_captcha', async () => {
        await settings({ reg_captcha: '1' });
        expect((await ts.client().post('/user', { email: 'new1@example.com', password: 'newpass1' })).code).toBe(40026);
        expect((await login()).code).toBe(0); // login_captcha still off
        const a = await newCaptcha();
        expect((await ts.client().post('/user', { email: 'new1@example.com', password: 'newpass1', ticket: a.ticket, captcha: a.answer })).code).toBe(0);
        await settings({ reg_captcha: '0', forget_captcha: '1' });
        expect((await ts.client().post('/user/reset', { email: 'user@example.com' })).code).toBe(40026);
        const b = await newCaptcha();
        const since = mailbox.messages.length;
        expect((await ts.client().post('/user/reset', { email: 'user@example.com', ticket: b.ticket, captcha: b.answer })).code).toBe(0);
        await mailbox.waitFor('user@example.com', since);
      });

      it('ignores captcha fields when the flow does not opt in', async () => {
        expect((await login({ ticket: 'whatever', captcha: 'whatever' })).code).toBe(0);
      });
    });

    describe('remote verifiers', () => {
      it('reCAPTCHA: posts secret, the captcha token and the client address as a form', async () => {
        await settings({ login_captcha: '1', captcha_type: 'recaptcha', captcha_ReCaptchaSecret: 'rc-secret', captcha_recaptcha_verify_url: `${verifier.url}/recaptcha/api/siteverify` });
        expect((await login({ captcha: 'token-123' })).code).toBe(0);
        expect(verifier.seen).toHaveLength(1);
        const seen = verifier.seen[0]!;
        expect(seen.path).toBe('/recaptcha/api/siteverify');
        expect(seen.contentType).toBe('application/x-www-form-urlencoded');
        expect(Object.fromEntries(new URLSearchParams(seen.body))).toEqual({ secret: 'rc-secret', response: 'token-123', remoteip: '127.0.0.1' });
        verifier.reply = 'failure';
        expect(await login({ captcha: 'token-123' })).toMatchObject({ code: 40026, msg: 'Verification failed, please refresh the page and retry.' });
        // no token: refused without asking the verifier
        verifier.seen = [];
        expect((await login({ ticket: 'token-in-wrong-field' })).code).toBe(40026);
        expect(verifier.seen).toHaveLength(0);
      });

      it('Turnstile: posts secret and the ticket as a form', async () => {
        await settings({ login_captcha: '1', captcha_type: 'turnstile', captcha_turnstile_site_secret: 'ts-secret', captcha_turnstile_verify_url: `${verifier.url}/turnstile/v0/siteverify` });
        expect((await login({ ticket: 'cf-token' })).code).toBe(0);
        expect(verifier.seen[0]!.path).toBe('/turnstile/v0/siteverify');
        expect(Object.fromEntries(new URLSearchParams(verifier.seen[0]!.body))).toEqual({ secret: 'ts-secret', response: 'cf-token' });
        verifier.reply = 'failure';
        expect(await login({ ticket: 'cf-token' })).toMatchObject({ code: 40026, msg: 'Captcha validation failed' });
        expect((await login({ captcha: 'cf-token' })).code).toBe(40026);
      });

      it('Cap: posts JSON {secret, response} to <instance>/<site key>/siteverify', async () => {
        await settings({ reg_captcha: '1', captcha_type: 'cap', captcha_cap_instance_url: `${verifier.url}/cap/`, captcha_cap_site_key: 'site-key-1', captcha_cap_secret_key: 'cap-secret' });
        expect((await ts.client().post('/user', { email: 'capped@example.com', password: 'cappass1', ticket: 'cap-token' })).code).toBe(0);
        expect(verifier.seen[0]!.path).toBe('/cap/site-key-1/siteverify');
        expect(verifier.seen[0]!.contentType).toBe('application/json');
        expect(JSON.parse(verifier.seen[0]!.body)).toEqual({ secret: 'cap-secret', response: 'cap-token' });
        verifier.reply = 'failure';
        expect((await ts.client().post('/user', { email: 'capped2@example.com', password: 'cappass1', ticket: 'cap-token' })).code).toBe(40026);
        await settings({ captcha_cap_secret_key: '' });
        expect(await ts.client().post('/user', { email: 'capped3@example.com', password: 'cappass1', ticket: 'cap-token' })).toMatchObject({ code: 40026, msg: 'Captcha configuration error' });
      });

      it('treats HTTP errors, non-JSON answers, refused connections and timeouts as failures', async () => {
        await settings({ login_captcha: '1', captcha_type: 'turnstile', captcha_turnstile_verify_url: `${verifier.url}/siteverify`, captcha_verify_timeout: '1' });
        verifier.reply = 'error500';
        expect((await login({ ticket: 't' })).code).toBe(40026);
        verifier.reply = 'notjson';
        expect((await login({ ticket: 't' })).code).toBe(40026);
        verifier.reply = 'hang';
        const started = Date.now();
        expect((await login({ ticket: 't' })).code).toBe(40026);
        expect(Date.now() - started).toBeLessThan(5000);
        await settings({ captcha_turnstile_verify_url: 'http://127.0.0.1:1/siteverify' });
        expect((await login({ ticket: 't' })).code).toBe(40026);
        await settings({ captcha_turnstile_verify_url: 'not a url' });
        expect((await login({ ticket: 't' })).code).toBe(40026);
      });
    });
  });
}
