import { useState } from 'react';
import { Button, IconButton, ListItemIcon, ListItemText, Menu, MenuItem, Tooltip } from '@mui/material';
import TranslateIcon from '@mui/icons-material/Translate';
import CheckIcon from '@mui/icons-material/Check';
import { LANGUAGES, useI18n } from '../i18n/index.tsx';

/** Switches the UI language; the choice is remembered in this browser. */
export function LanguageMenu({ compact = false }: { compact?: boolean }) {
  const { language, setLanguage, t } = useI18n();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const current = LANGUAGES.find((l) => l.code === language)!;
  return (
    <>
      {compact ? (
        <Tooltip title={t('lang.label')}>
          <IconButton onClick={(e) => setAnchor(e.currentTarget)} aria-label={t('lang.label')} data-testid="language-button">
            <TranslateIcon fontSize="small" />
          </IconButton>
        </Tooltip>
      ) : (
        <Button
          color="inherit"
          size="small"
          startIcon={<TranslateIcon fontSize="small" />}
          onClick={(e) => setAnchor(e.currentTarget)}
          // The visible language name must be part of the accessible name (WCAG 2.5.3).
          aria-label={`${t('lang.label')}: ${current.label}`}
          data-testid="language-button"
          sx={{ fontWeight: 500, color: 'text.secondary' }}
        >
          {current.label}
        </Button>
      )}
      <Menu anchorEl={anchor} open={Boolean(anchor)} onClose={() => setAnchor(null)}>
        {LANGUAGES.map((l) => (
          <MenuItem
            key={l.code}
            selected={l.code === language}
            lang={l.code}
            onClick={() => {
              setLanguage(l.code);
              setAnchor(null);
            }}
          >
            <ListItemIcon>{l.code === language && <CheckIcon fontSize="small" />}</ListItemIcon>
            <ListItemText>{l.label}</ListItemText>
          </MenuItem>
        ))}
      </Menu>
    </>
  );
}
