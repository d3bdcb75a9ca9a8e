// A plain Node HTTP server that streams request bodies to disk (PUT) and files back (GET):
// the simplest thing a Node file server can do, as an upload/download peer. Plain JavaScript so
// it runs with `node` alone. Usage: node node-disk-server.mjs <root> <port>
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const [root, port] = [path.resolve(process.argv[2]), Number(process.argv[3])];
let seq = 0;

function target(url) {
  const name = decodeURIComponent(new URL(url, 'http://x').pathname).replace(/^\/+/, '');
  const p = path.resolve(root, name);
  if (!name || !p.startsWith(root + path.sep)) return undefined;
  return p;
}

http.createServer(async (req, res) => {
  const file = target(req.url);
  if (!file) { res.writeHead(400).end(); req.resume(); return; }
  try {
    if (req.method === 'PUT') {
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      const tmp = path.join(root, `.tmp-${process.pid}-${seq++}`);
      await pipeline(req, fs.createWriteStream(tmp));
      await fs.promises.rename(tmp, file);
      res.writeHead(201).end();
    } else if (req.method === 'GET') {
      const st = await fs.promises.stat(file);
      res.writeHead(200, { 'content-length': st.size, 'content-type': 'application/octet-stream' });
      await pipeline(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), res);
    } else if (req.method === 'DELETE') {
      await fs.promises.rm(file, { recursive: true, force: true });
      res.writeHead(204).end();
    } else {
      res.writeHead(405).end();
      req.resume();
    }
  } catch (e) {
    if (!res.headersSent) res.writeHead(e?.code === 'ENOENT' ? 404 : 500).end(String(e?.message ?? e));
    else res.destroy();
  }
}).listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
