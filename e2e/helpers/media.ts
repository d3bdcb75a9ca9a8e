import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

/** A solid-colour PNG of the given size (with a darker band, so thumbnail and original differ visibly). */
export function png(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  const band = Buffer.from(`<svg width="${width}" height="${height}"><rect x="0" y="${height / 3}" width="${width}" height="${height / 3}" fill="rgba(0,0,0,0.35)"/></svg>`);
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .composite([{ input: band }]).png().toBuffer();
}

/** A mono 16-bit PCM WAV of a sine tone. */
export function wav(seconds: number, hz = 440, rate = 8000): Buffer {
  const n = Math.round(seconds * rate);
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 12000), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVE', 8); h.write('fmt ', 12);
  h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write('data', 36); h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** A one-page PDF with one line of text (objects and xref offsets computed). */
export function pdf(text: string): Buffer {
  const content = `BT /F1 28 Tf 72 720 Td (${text.replace(/[()\\]/g, '\\$&')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A short VP8/Vorbis WebM made by ffmpeg, or undefined when ffmpeg is not installed. */
export async function webm(seconds: number): Promise<Buffer | undefined> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-media-'));
  const out = path.join(dir, 'clip.webm');
  try {
    await new Promise<void>((resolve, reject) => {
      execFile('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=15:duration=${seconds}`, '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
        '-c:v', 'libvpx', '-b:v', '300k', '-c:a', 'libvorbis', '-shortest', out], { timeout: 60_000 }, (err) => (err ? reject(err) : resolve()));
    });
    return fs.readFileSync(out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
