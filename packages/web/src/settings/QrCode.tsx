import { useMemo } from 'react';
import { encode } from 'uqr';

/** A QR code as an SVG of dark modules on white (readable in dark mode too). */
export function QrCode({ text, size = 200, label }: { text: string; size?: number; label: string }) {
  const { path, dim } = useMemo(() => {
    const qr = encode(text, { ecc: 'M', border: 2 });
    let d = '';
    qr.data.forEach((row, y) => row.forEach((on, x) => {
      if (on) d += `M${x} ${y}h1v1h-1z`;
    }));
    return { path: d, dim: qr.data.length };
  }, [text]);
  return (
    <svg width={size} height={size} viewBox={`0 0 ${dim} ${dim}`} role="img" aria-label={label} shapeRendering="crispEdges" data-testid="qr-code" style={{ background: '#fff', borderRadius: 8 }}>
      <path d={path} fill="#000" />
    </svg>
  );
}
