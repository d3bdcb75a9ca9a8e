import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { request } from '../lib/http.ts';
import { freePort, spawnTracked, stopTracked } from '../lib/proc.ts';
import { benchTemp } from '../lib/server.ts';

export interface NginxPeer {
  url: string;
  /** The master process; its workers are its children. */
  pid: number;
  /** Directory nginx serves; PUT writes into it (WebDAV module). */
  root: string;
  stop(): Promise<void>;
}

export function nginxBinary(): string | undefined {
  for (const p of [process.env.NGINX_BIN, '/usr/sbin/nginx', '/usr/bin/nginx']) {
    if (p && fs.existsSync(p)) return p;
  }
  return undefined;
}

/**
 * nginx as a peer, with its own -c config in a temp dir: one worker (our server is one Node
 * process), sendfile for GET, the dav module for PUT/DELETE (bodies go to client_body_temp_path
 * on the same file system, then are renamed into place), no access log, loopback only.
 */
export async function startNginx(opts: { root?: string } = {}): Promise<NginxPeer> {
  const bin = nginxBinary();
  if (!bin) throw new Error('nginx is not installed (apt-get install -y --no-install-recommends nginx); see docs/benchmarks.md');
  const dir = benchTemp('nginx');
  const root = opts.root ?? path.join(dir, 'www');
  for (const d of [root, path.join(dir, 'body'), path.join(dir, 'proxy'), path.join(dir, 'fastcgi'), path.join(dir, 'uwsgi'), path.join(dir, 'scgi')]) {
    fs.mkdirSync(d, { recursive: true });
  }
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  const asRoot = process.getuid?.() === 0;
  fs.writeFileSync(conf, `${asRoot ? 'user root;\n' : ''}worker_processes 1;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / {
      dav_methods PUT DELETE MKCOL;
      create_full_put_path on;
      dav_access user:rw;
      client_max_body_size 0;
    }
  }
}
`);
  execFileSync(bin, ['-t', '-q', '-c', conf, '-p', dir], { stdio: 'pipe' });
  const child = spawnTracked(bin, ['-c', conf, '-p', dir], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await request('GET', `${url}/`);
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        const log = fs.existsSync(`${dir}/error.log`) ? fs.readFileSync(`${dir}/error.log`, 'utf8') : '';
        await stopTracked(child);
        throw new Error(`nginx did not start: ${log.slice(-500)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    pid: child.pid!,
    root,
    async stop() {
      await stopTracked(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
