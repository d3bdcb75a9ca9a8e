import { useEffect, useState, type ReactNode } from 'react';
import { Alert, LinearProgress } from '@mui/material';
import { useAdminI18n } from '../i18n/index.ts';
import { FormDialog, RawJson } from './common.tsx';

/** Loads one object by id and shows it read-only (with the raw JSON under it). */
export function ViewDialog<T>({ title, load, render, onClose, testId, actions }: {
  title: string;
  load(): Promise<T>;
  render(item: T): ReactNode;
  onClose(): void;
  testId: string;
  actions?(item: T): ReactNode;
}) {
  const { err } = useAdminI18n();
  const [item, setItem] = useState<T | null>(null);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    load().then((x) => live && setItem(x)).catch((e) => live && setError(err(e)));
    return () => {
      live = false;
    };
    // `load` is a fresh closure each render; the dialog loads once per mount.
  }, [err]);
  return (
    <FormDialog open title={title} onClose={onClose} testId={testId} maxWidth="md" extraActions={item && actions ? actions(item) : undefined}>
      {error && <Alert severity="error">{error}</Alert>}
      {!item && !error && <LinearProgress />}
      {item && (
        <>
          {render(item)}
          <RawJson value={item} />
        </>
      )}
    </FormDialog>
  );
}
