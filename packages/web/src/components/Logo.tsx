import { Box, Typography } from '@mui/material';
import { useSite } from '../site.tsx';

/** The cloud mark; a gradient so it reads on light and dark backgrounds. */
export function LogoMark({ size = 32 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 48 48" aria-hidden="true">
      <defs>
        <linearGradient id="cr-logo" x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stopColor="#42a5f5" />
          <stop offset="1" stopColor="#1565c0" />
        </linearGradient>
      </defs>
      <rect width="48" height="48" rx="12" fill="url(#cr-logo)" />
      <path fill="#fff" d="M34.6 22.1A10.5 10.5 0 0 0 14.9 19 8.4 8.4 0 0 0 15.8 35.8h18.3a6.9 6.9 0 0 0 .5-13.7Z" />
    </svg>
  );
}

export function Logo({ size = 32 }: { size?: number }) {
  const site = useSite();
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.25 }}>
      <LogoMark size={size} />
      <Typography variant="h6" component="span" sx={{ fontWeight: 700, letterSpacing: -0.2 }} noWrap>
        {site.title || 'Cloudreve'}
      </Typography>
    </Box>
  );
}
