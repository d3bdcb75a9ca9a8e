import { useState } from 'react';
import { Box, Button, IconButton, TextField, Tooltip, useMediaQuery, useTheme } from '@mui/material';
import FolderOpenOutlinedIcon from '@mui/icons-material/FolderOpenOutlined';
import { FolderPickDialog } from '../explorer/MoveDialog.tsx';
import { useTasksI18n } from './i18n/index.ts';
import { pathToUri, uriToPath } from './paths.ts';

interface Props {
  /** A path in My files, e.g. "/downloads". */
  value: string;
  onChange(path: string): void;
  error?: string;
  testId: string;
}

/** A folder of My files: typed as a path (missing folders are created) or picked from the tree. */
export function DestinationField({ value, onChange, error, testId }: Props) {
  const { t } = useTasksI18n();
  const [picking, setPicking] = useState(false);
  const theme = useTheme();
  const phone = useMediaQuery(theme.breakpoints.down('sm'));
  return (
    <Box sx={{ display: 'flex', gap: 1, alignItems: 'flex-start' }}>
      <TextField
        label={t('dest.label')}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        error={Boolean(error)}
        helperText={error ?? t('dest.hint')}
        fullWidth
        slotProps={{ htmlInput: { 'data-testid': testId, spellCheck: false } }}
      />
      {phone ? (
        <Tooltip title={t('dest.browse')}>
          <IconButton onClick={() => setPicking(true)} aria-label={t('dest.browse')} sx={{ mt: 1, flexShrink: 0 }} data-testid={`${testId}-browse`}>
            <FolderOpenOutlinedIcon />
          </IconButton>
        </Tooltip>
      ) : (
        <Button variant="outlined" onClick={() => setPicking(true)} startIcon={<FolderOpenOutlinedIcon />} sx={{ mt: 1, flexShrink: 0 }} data-testid={`${testId}-browse`}>
          {t('dest.browse')}
        </Button>
      )}
      <FolderPickDialog
        open={picking}
        title={t('dest.pickTitle')}
        confirmLabel={t('dest.pick')}
        initial={pathToUri(value)}
        onClose={() => setPicking(false)}
        onConfirm={async (uri) => {
          onChange(uriToPath(uri));
          setPicking(false);
          return undefined;
        }}
      />
    </Box>
  );
}

/** The destination's URI, or the text of what is wrong with it. */
export function checkDestination(path: string, t: (k: 'dest.invalid') => string): { uri?: string; error?: string } {
  const uri = pathToUri(path);
  return uri ? { uri } : { error: t('dest.invalid') };
}
