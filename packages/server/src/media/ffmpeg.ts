import { spawn } from 'node:child_process';

const probes = new Map<string, Promise<boolean>>();

/** True when `bin` runs (`ffmpeg -version`); probed once per binary path. */
export function ffmpegAvailable(bin: string): Promise<boolean> {
  let p = probes.get(bin);
  if (!p) {
    p = new Promise<boolean>((resolve) => {
      try {
        const child = spawn(bin, ['-hide_banner', '-version'], { stdio: 'ignore' });
        child.once('error', () => resolve(false));
        child.once('exit', (code) => resolve(code === 0));
      } catch {
        resolve(false);
      }
    });
    probes.set(bin, p);
  }
  return p;
}

/**
 * Extracts one frame of a video file as PNG bytes. `input` is a local path (never a shell string:
 * arguments go to execve directly). Seeks to `atSeconds`, falling back to the first frame for clips
 * shorter than that. Killed after `timeoutMs`.
 */
export async function extractFrame(bin: string, input: string, atSeconds = 1, timeoutMs = 30_000): Promise<Buffer> {
  const first = await runFfmpeg(bin, ['-ss', String(atSeconds), '-i', input], timeoutMs);
  if (first.length) return first;
  const fallback = await runFfmpeg(bin, ['-i', input], timeoutMs);
  if (!fallback.length) throw new Error('ffmpeg produced no frame');
  return fallback;
}

function runFfmpeg(bin: string, inputArgs: string[], timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', ...inputArgs, '-frames:v', '1', '-an', '-f', 'image2pipe', '-vcodec', 'png', 'pipe:1'];
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > 64 * 1024 * 1024) child.kill('SIGKILL');
      else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 4096) stderr += b.toString();
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`ffmpeg exited with ${code}: ${stderr.trim().slice(0, 500)}`));
    });
  });
}
