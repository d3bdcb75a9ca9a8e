import { execFile } from 'node:child_process';
import { Code } from '@cloudreve-ts/protocol';
import { AppError } from '../http/errors.ts';

/**
 * POST /admin/tool/thumbExecutable (contract 60 §5): runs a media helper with its version flag
 * and checks the output names the tool. The executable runs without a shell, with fixed
 * arguments, an empty stdin and a time limit.
 */
const TOOLS: Record<string, { args: string[]; marker: RegExp }> = {
  vips: { args: ['--version'], marker: /vips-\d/i },
  ffmpeg: { args: ['-version'], marker: /ffmpeg version/i },
  ffprobe: { args: ['-version'], marker: /ffprobe version/i },
  libreOffice: { args: ['--version'], marker: /libreoffice/i },
  libraw: { args: ['-v'], marker: /libraw/i },
};

export const THUMB_TOOLS = Object.keys(TOOLS);

export async function executableVersion(name: string, executable: string, timeoutMs = 15_000): Promise<string> {
  const tool = TOOLS[name];
  if (!tool) throw new AppError(Code.ParamErr, `Unknown executable type: ${name}`);
  if (!executable.trim() || executable.includes('\0')) throw new AppError(Code.ParamErr, 'Executable cannot be empty');
  const { output, error } = await new Promise<{ output: string; error?: Error }>((resolve) => {
    execFile(executable, tool.args, { timeout: timeoutMs, maxBuffer: 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      resolve({ output: `${stdout ?? ''}\n${stderr ?? ''}`, error: err ?? undefined });
    });
  });
  const line = output.split(/\r?\n/).map((l) => l.trim()).find((l) => tool.marker.test(l));
  if (line) return line;
  const reason = error ? (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'executable not found' : error.message : 'unexpected output';
  throw new AppError(Code.ParamErr, `Failed to run ${name} (${executable}): ${reason.slice(0, 300)}`);
}
