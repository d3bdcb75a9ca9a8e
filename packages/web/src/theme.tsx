import { useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { CssBaseline, ThemeProvider, createTheme, useMediaQuery } from '@mui/material';

const FONT_STACK = [
  'Inter', 'system-ui', '-apple-system', '"Segoe UI"', 'Roboto', '"Helvetica Neue"', 'Arial',
  '"PingFang SC"', '"Microsoft YaHei"', '"WenQuanYi Micro Hei"', '"Noto Sans CJK SC"', 'sans-serif',
].join(',');

function buildTheme(mode: 'light' | 'dark') {
  const light = mode === 'light';
  return createTheme({
    palette: {
      mode,
      // #1565c0 rather than MUI's #1976d2: primary text on the light page background reaches 4.5:1 (WCAG AA).
      primary: { main: light ? '#1565c0' : '#64b5f6' },
      background: light ? { default: '#f5f7fb', paper: '#ffffff' } : { default: '#0f1115', paper: '#171a21' },
      divider: light ? 'rgba(15, 23, 42, 0.08)' : 'rgba(255, 255, 255, 0.09)',
    },
    shape: { borderRadius: 10 },
    typography: {
      fontFamily: FONT_STACK,
      button: { textTransform: 'none', fontWeight: 600 },
      h5: { fontWeight: 700 },
      h6: { fontWeight: 650 },
    },
    components: {
      MuiButton: { defaultProps: { disableElevation: true } },
      MuiAppBar: { defaultProps: { elevation: 0, color: 'inherit' } },
      MuiPaper: { styleOverrides: { root: { backgroundImage: 'none' } } },
      MuiTooltip: { defaultProps: { arrow: true } },
      MuiListItemButton: { styleOverrides: { root: { borderRadius: 8 } } },
      // Full-screen dialogs (phones, previews) fill the screen edge to edge: no rounded corners.
      MuiDialog: { styleOverrides: { paper: { borderRadius: 14, '&.MuiDialog-paperFullScreen': { borderRadius: 0 } } } },
      MuiTextField: { defaultProps: { fullWidth: true } },
    },
  });
}

export type ThemePreference = 'light' | 'dark' | 'system';
const THEME_KEY = 'cr_theme';
const themeListeners = new Set<() => void>();

function readThemePreference(): ThemePreference {
  const v = localStorage.getItem(THEME_KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

/** Remembers the user's light/dark/system choice in this browser. */
export function setThemePreference(pref: ThemePreference): void {
  if (pref === 'system') localStorage.removeItem(THEME_KEY);
  else localStorage.setItem(THEME_KEY, pref);
  for (const l of themeListeners) l();
}

export function useThemePreference(): ThemePreference {
  return useSyncExternalStore((l) => {
    themeListeners.add(l);
    return () => themeListeners.delete(l);
  }, readThemePreference);
}

/** MUI theme in light or dark: the user's choice, or the operating system's preference live. */
export function AppThemeProvider({ children }: { children: ReactNode }) {
  const systemDark = useMediaQuery('(prefers-color-scheme: dark)', { noSsr: true });
  const pref = useThemePreference();
  const dark = pref === 'system' ? systemDark : pref === 'dark';
  const theme = useMemo(() => buildTheme(dark ? 'dark' : 'light'), [dark]);
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline enableColorScheme />
      {children}
    </ThemeProvider>
  );
}
