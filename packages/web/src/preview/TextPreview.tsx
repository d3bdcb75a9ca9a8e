import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { Alert, Box, Button, Chip, CircularProgress, ToggleButton, ToggleButtonGroup, Typography, useTheme } from '@mui/material';
import SaveOutlinedIcon from '@mui/icons-material/SaveOutlined';
import { Code, type FileResponse } from '@cloudreve-ts/protocol';
import { fileDetails } from '../api/file-details.ts';
import { describeError, isCode } from '../api/errors.ts';
import { useNotify } from '../components/Notifier.tsx';
import { useI18n } from '../i18n/index.tsx';
import { centered, Loading } from './parts.tsx';
import { useLoad } from './useSignedUrl.ts';

const CodeEditor = lazy(() => import('./CodeEditor.tsx'));
const MarkdownView = lazy(() => import('./MarkdownView.tsx'));

interface Props {
  file: FileResponse;
  markdown: boolean;
  canEdit: boolean;
  onSaved(file: FileResponse): void;
  onDirtyChange(dirty: boolean): void;
}

/** The current text and which version it is (the `previous` of the next save). */
async function loadText(uri: string, signal: AbortSignal): Promise<{ text: string; version?: string }> {
  const { primary_entity: version } = await fileDetails.info(uri, {}, signal);
  const url = await fileDetails.url(uri, { entity: version });
  const res = await fetch(url, { signal });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return { text: await res.text(), version };
}

/**
 * Text and code in an editor, Markdown rendered (with an editor one click away). Saving sends the
 * text as a new version (PUT /file/content) with the version it was loaded from, so an edit made
 * elsewhere in the meantime is refused (40076) instead of overwritten.
 */
export default function TextPreview({ file, markdown, canEdit, onSaved, onDirtyChange }: Props) {
  const { t, language } = useI18n();
  const notify = useNotify();
  const theme = useTheme();
  const [reloads, setReloads] = useState(0);
  const loaded = useLoad(`${file.path}#${reloads}`, (signal) => loadText(file.path!, signal));
  const [saved, setSaved] = useState<string>();
  const [draft, setDraft] = useState<string>();
  const [base, setBase] = useState(file.primary_entity);
  const [mode, setMode] = useState<'view' | 'edit'>(markdown ? 'view' : 'edit');
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState(false);
  /** Bumped whenever a freshly loaded text replaces the editor's document. */
  const [docGen, setDocGen] = useState(0);

  useEffect(() => {
    if (loaded.value === undefined) return;
    setSaved(loaded.value.text);
    setDraft(loaded.value.text);
    setBase(loaded.value.version);
    setConflict(false);
    setDocGen((g) => g + 1);
    // Keyed on the answer object, so a reload that brings the same text still resets the editor.
  }, [loaded]);

  const dirty = draft !== undefined && draft !== saved;
  useEffect(() => onDirtyChange(dirty), [dirty, onDirtyChange]);

  const save = useCallback(async () => {
    if (!canEdit || saving || draft === undefined || draft === saved) return;
    setSaving(true);
    try {
      const updated = await fileDetails.updateContent(file.path!, draft, base);
      setSaved(draft);
      setBase(updated.primary_entity);
      onSaved(updated);
      notify(t('preview.saved', { name: file.name }), 'success');
    } catch (err) {
      if (isCode(err, Code.StaleVersion)) setConflict(true);
      notify(describeError(err, t, language), 'error');
    } finally {
      setSaving(false);
    }
  }, [canEdit, saving, draft, saved, file.path, file.name, base, onSaved, notify, t, language]);

  if (loaded.loading || (loaded.value !== undefined && draft === undefined)) return <Loading />;
  if (loaded.error !== undefined || draft === undefined) {
    return (
      <Box sx={centered}>
        <Alert severity="error" data-testid="preview-error">{t('preview.loadFailed')}: {describeError(loaded.error, t, language)}</Alert>
      </Box>
    );
  }

  const editing = !markdown || mode === 'edit';
  return (
    <Box sx={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column' }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, px: { xs: 1, sm: 2 }, py: 0.75, borderBottom: 1, borderColor: 'divider', flexWrap: 'wrap', bgcolor: 'background.paper' }}>
        {markdown && (
          <ToggleButtonGroup size="small" exclusive value={mode} onChange={(_, m: 'view' | 'edit' | null) => m && setMode(m)} aria-label={t('preview.mode')}>
            <ToggleButton value="view" data-testid="markdown-mode-view">{t('preview.rendered')}</ToggleButton>
            <ToggleButton value="edit" data-testid="markdown-mode-edit">{canEdit ? t('preview.edit') : t('preview.source')}</ToggleButton>
          </ToggleButtonGroup>
        )}
        {!canEdit && <Chip size="small" label={t('preview.readOnly')} data-testid="preview-read-only" />}
        <Box sx={{ flex: 1 }} />
        {dirty && <Typography variant="caption" color="warning.main" data-testid="preview-unsaved">{t('preview.unsaved')}</Typography>}
        {canEdit && (
          <Button
            size="small"
            variant="contained"
            startIcon={saving ? <CircularProgress size={14} color="inherit" /> : <SaveOutlinedIcon />}
            disabled={!dirty || saving}
            onClick={() => void save()}
            data-testid="preview-save"
          >
            {t('common.save')}
          </Button>
        )}
      </Box>
      {conflict && (
        <Alert
          severity="warning"
          sx={{ borderRadius: 0 }}
          action={<Button color="inherit" size="small" onClick={() => setReloads((n) => n + 1)} data-testid="preview-reload">{t('preview.reload')}</Button>}
          data-testid="preview-conflict"
        >
          {t('error.40076')}
        </Alert>
      )}
      <Suspense fallback={<Loading />}>
        {editing ? (
          <CodeEditor
            key={docGen}
            initial={draft}
            fileName={file.name}
            readOnly={!canEdit}
            dark={theme.palette.mode === 'dark'}
            label={t('preview.editorLabel', { name: file.name })}
            onChange={setDraft}
            onSave={() => void save()}
          />
        ) : (
          <MarkdownView text={draft} label={file.name} />
        )}
      </Suspense>
    </Box>
  );
}
