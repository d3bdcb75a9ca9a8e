import fs from 'node:fs';
import path from 'node:path';
import { request } from '../lib/http.ts';
import { freePort, spawnTracked, stopTracked } from '../lib/proc.ts';
import { benchTemp } from '../lib/server.ts';

export interface NodeDiskPeer { url: string; root: string; pid: number; stop(): Promise<void> }

/** Starts bench/peers/node-disk-server.mjs (plain Node stream-to-disk server) on a free loopback port. */
export async function startNodeDisk(): Promise<NodeDiskPeer> {
  const dir = benchTemp('nodepeer');
  const root = path.join(dir, 'www');
  fs.mkdirSync(root, { recursive: true });
  const port = await freePort();
  const child = spawnTracked(process.execPath, [path.join(import.meta.dirname, 'node-disk-server.mjs'), root, String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await request('GET', `${url}/probe`);
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stopTracked(child);
        throw new Error('node peer did not start');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url, root, pid: child.pid!,
    async stop() {
      await stopTracked(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
