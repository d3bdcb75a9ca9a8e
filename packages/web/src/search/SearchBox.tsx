import { useEffect, useRef, useState } from 'react';
import {
  Box, Button, Chip, Divider, IconButton, InputAdornment, ListItemIcon, ListItemText, ListSubheader, Menu, MenuItem, TextField, Tooltip, Typography,
} from '@mui/material';
import SearchIcon from '@mui/icons-material/Search';
import TuneIcon from '@mui/icons-material/Tune';
import CloseIcon from '@mui/icons-material/Close';
import CheckIcon from '@mui/icons-material/Check';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import { CATEGORIES, type SearchCategory, type SearchParams, type SearchType } from './query.ts';

const typingInto = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));

interface BoxProps {
  /** The search shown now (from the URI), to fill the field. */
  current?: SearchParams;
  /** Where the search runs, for the placeholder. */
  scopeName: string;
  onSearch(p: SearchParams): void;
}

/**
 * The search field with a filter menu (files or folders only; a category). Enter searches, Escape
 * empties the field, "/" anywhere on the page jumps into it.
 */
export function SearchBox({ current, scopeName, onSearch }: BoxProps) {
  const { t } = useI18n();
  const [text, setText] = useState(current?.text ?? '');
  const [type, setType] = useState<SearchType | undefined>(current?.type);
  const [filterMenu, setFilterMenu] = useState<HTMLElement | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setText(current?.text ?? '');
    setType(current?.type);
  }, [current?.text, current?.type]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || typingInto(e.target) || document.querySelector('.MuiDialog-root:not([aria-hidden="true"]), .MuiPopover-root:not([aria-hidden="true"])')) return;
      e.preventDefault();
      input.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const submit = (next: Partial<SearchParams> = {}) => {
    const p: SearchParams = { text: next.text ?? text, type: 'type' in next ? next.type : type, category: next.category };
    if (!p.text.trim() && !p.type && !p.category) return;
    onSearch(p);
  };

  return (
    <Box component="form" role="search" onSubmit={(e) => { e.preventDefault(); submit(); }} sx={{ display: 'flex', alignItems: 'center', minWidth: 0, flex: 1 }}>
      <TextField
        inputRef={input}
        size="small"
        fullWidth
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && text) {
            e.stopPropagation();
            setText('');
          }
        }}
        placeholder={t('search.placeholder', { folder: scopeName })}
        slotProps={{
          htmlInput: { 'aria-label': t('search.label'), 'data-testid': 'search-input', enterKeyHint: 'search', type: 'search' },
          input: {
            startAdornment: <InputAdornment position="start"><SearchIcon fontSize="small" /></InputAdornment>,
            endAdornment: (
              <InputAdornment position="end">
                {type && <Chip size="small" label={t(`search.type.${type}` as MessageKey)} onDelete={() => setType(undefined)} sx={{ mr: 0.5 }} />}
                <Tooltip title={t('search.filters')}>
                  <IconButton size="small" edge="end" onClick={(e) => setFilterMenu(e.currentTarget)} aria-label={t('search.filters')} aria-haspopup="menu" data-testid="search-filters">
                    <TuneIcon fontSize="small" />
                  </IconButton>
                </Tooltip>
              </InputAdornment>
            ),
          },
        }}
        sx={{ '& .MuiOutlinedInput-root': { borderRadius: 5, bgcolor: 'background.paper' } }}
      />
      <Menu anchorEl={filterMenu} open={Boolean(filterMenu)} onClose={() => setFilterMenu(null)} slotProps={{ list: { dense: true, sx: { minWidth: 220 } } }}>
        <ListSubheader>{t('search.typeHeading')}</ListSubheader>
        {([undefined, 'file', 'folder'] as const).map((v) => (
          <MenuItem key={v ?? 'any'} selected={type === v} onClick={() => { setType(v); setFilterMenu(null); if (text.trim()) submit({ type: v }); }} data-testid={`search-type-${v ?? 'any'}`}>
            <ListItemIcon>{type === v && <CheckIcon fontSize="small" />}</ListItemIcon>
            <ListItemText>{t(`search.type.${v ?? 'any'}` as MessageKey)}</ListItemText>
          </MenuItem>
        ))}
        <Divider />
        <ListSubheader>{t('search.categoryHeading')}</ListSubheader>
        {CATEGORIES.map((c) => (
          <MenuItem key={c} onClick={() => { setFilterMenu(null); submit({ category: c }); }} data-testid={`search-category-${c}`}>
            <ListItemIcon />
            <ListItemText>{t(`search.category.${c}` as MessageKey)}</ListItemText>
          </MenuItem>
        ))}
      </Menu>
    </Box>
  );
}

interface TitleProps {
  search: SearchParams;
  scopeName: string;
  onClear(): void;
}

/** What the results are ("Results for … in …"), replacing the breadcrumbs while searching. */
export function SearchTitle({ search, scopeName, onClear }: TitleProps) {
  const { t } = useI18n();
  const what = search.category
    ? t(`search.category.${search.category}` as MessageKey)
    : [search.text && `“${search.text}”`, search.type && t(`search.type.${search.type}` as MessageKey)].filter(Boolean).join(' · ');
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, minWidth: 0 }} data-testid="search-title">
      <Typography variant="h6" noWrap sx={{ minWidth: 0 }} title={what}>
        {t('search.resultsFor', { what, folder: scopeName })}
      </Typography>
      <Button size="small" startIcon={<CloseIcon />} onClick={onClear} sx={{ flexShrink: 0 }} data-testid="search-clear">{t('search.clear')}</Button>
    </Box>
  );
}

export type { SearchCategory };
