import type { ReactNode } from 'react';
import { Box, Card, CardContent, Typography } from '@mui/material';
import { LogoMark } from '../components/Logo.tsx';
import { LanguageMenu } from '../components/LanguageMenu.tsx';

/** The centred card the sign-in and sign-up pages share. */
export function AuthLayout({ title, subtitle, children }: { title: string; subtitle?: string; children: ReactNode }) {
  return (
    <Box
      sx={(theme) => ({
        minHeight: '100dvh',
        display: 'flex',
        flexDirection: 'column',
        background:
          theme.palette.mode === 'light'
            ? 'radial-gradient(1200px 600px at 10% -10%, #dbeafe 0%, transparent 60%), radial-gradient(900px 500px at 110% 110%, #e0f2fe 0%, transparent 55%), #f5f7fb'
            : 'radial-gradient(1200px 600px at 10% -10%, #14233d 0%, transparent 60%), radial-gradient(900px 500px at 110% 110%, #0f2a3a 0%, transparent 55%), #0f1115',
      })}
    >
      <Box component="header" sx={{ display: 'flex', justifyContent: 'flex-end', p: 2 }}>
        <LanguageMenu />
      </Box>
      <Box component="main" sx={{ flex: 1, display: 'flex', alignItems: 'center', justifyContent: 'center', px: 2, pb: 8 }}>
        <Card
          variant="outlined"
          sx={{ width: '100%', maxWidth: 420, borderRadius: 4, boxShadow: '0 20px 50px -20px rgba(15, 23, 42, 0.25)' }}
        >
          <CardContent sx={{ p: { xs: 3, sm: 4.5 } }}>
            <Box sx={{ display: 'flex', justifyContent: 'center', mb: 2.5 }}>
              <LogoMark size={48} />
            </Box>
            <Typography variant="h5" component="h1" align="center" gutterBottom>
              {title}
            </Typography>
            {subtitle && (
              <Typography variant="body2" color="text.secondary" align="center" sx={{ mb: 3 }}>
                {subtitle}
              </Typography>
            )}
            {children}
          </CardContent>
        </Card>
      </Box>
    </Box>
  );
}
