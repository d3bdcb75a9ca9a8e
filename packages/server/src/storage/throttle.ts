import { Transform, type TransformCallback } from 'node:stream';

/**
 * Limits a stream to `bytesPerSecond` (token bucket holding at most one second of data). Back-pressure
 * propagates: while a piece waits for tokens nothing more is read from the source.
 */
export function throttle(bytesPerSecond: number): Transform {
  const rate = Math.max(1, Math.floor(bytesPerSecond));
  const burst = rate;
  let tokens = burst;
  let last = Date.now();
  let timer: NodeJS.Timeout | undefined;

  const refill = () => {
    const now = Date.now();
    tokens = Math.min(burst, tokens + ((now - last) * rate) / 1000);
    last = now;
  };

  return new Transform({
    highWaterMark: 16 * 1024,
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      let offset = 0;
      const pump = () => {
        timer = undefined;
        refill();
        while (offset < chunk.length && tokens >= 1) {
          const n = Math.min(chunk.length - offset, Math.floor(tokens), 64 * 1024);
          this.push(chunk.subarray(offset, offset + n));
          offset += n;
          tokens -= n;
        }
        if (offset >= chunk.length) return cb();
        const need = Math.min(chunk.length - offset, burst) - tokens;
        timer = setTimeout(pump, Math.max(5, Math.ceil((need * 1000) / rate)));
      };
      pump();
    },
    destroy(err, cb) {
      if (timer) clearTimeout(timer);
      cb(err);
    },
  });
}
