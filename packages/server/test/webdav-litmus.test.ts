import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { createDavAccount, toolAvailable } from './helpers/webdav.ts';

/**
 * The litmus WebDAV compliance suite (Debian package `litmus`): basic, copymove, props, locks and
 * http must all pass with zero failures and no warnings, on every backend (locks live in the KV,
 * so the Redis backend runs the lock suite against Redis).
 */
const tool = toolAvailable('litmus');
const SUITES = ['basic', 'copymove', 'props', 'locks', 'http'];

function runLitmus(url: string, user: string, pass: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('litmus', [url, user, pass], { env: { ...process.env, TESTS: SUITES.join(' ') } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 150_000);
    p.on('error', reject);
    p.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

for (const backend of await backends()) {
  const skip = backend.skip ?? (tool.ok ? undefined : tool.why);
  describe.skipIf(!!skip)(`litmus on ${backend.name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let ts: TestServer;
    let output = '';
    beforeAll(async () => {
      ts = await startServer(backend);
      const { c } = await newUser(ts, 'litmus@example.com');
      await c.post('/file/create', { uri: 'cloudreve://my/litmus root', type: 'folder' });
      const acct = await createDavAccount(c, 'cloudreve://my/litmus%20root');
      output = await runLitmus(`${ts.url}/dav/`, 'litmus@example.com', acct.password);
    }, 180_000);
    afterAll(async () => ts?.close());

    for (const suite of SUITES) {
      it(`suite ${suite}: every test passes`, () => {
        const m = new RegExp(`summary for \`${suite}': of (\\d+) tests run: (\\d+) passed, (\\d+) failed`).exec(output);
        expect(m, `no summary for ${suite} in:\n${output.slice(-3000)}`).not.toBeNull();
        const [, run, passed, failed] = m!.map(Number);
        expect(failed, output).toBe(0);
        expect(passed).toBe(run);
        expect(run).toBeGreaterThan(0);
      });
    }

    it('prints no warnings', () => {
      expect(output).not.toMatch(/WARNING/i);
    });
  });
}
