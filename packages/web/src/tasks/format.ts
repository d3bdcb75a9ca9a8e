/** 65_000 ms → "1 min 5 s"; short and language-neutral units. */
export function formatDuration(ms: number, zh: boolean): string {
  const s = ms / 1000;
  const unit = zh ? { h: ' 小时', m: ' 分', s: ' 秒' } : { h: ' h', m: ' min', s: ' s' };
  if (s < 0.1) return `< 0.1${unit.s}`;
  if (s < 10) return `${s.toFixed(1)}${unit.s}`;
  if (s < 60) return `${Math.round(s)}${unit.s}`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = Math.round(s % 60);
  return h ? `${h}${unit.h} ${m}${unit.m}` : `${m}${unit.m} ${rest}${unit.s}`;
}
