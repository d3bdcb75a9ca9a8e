import { useEffect, useRef } from 'react';
import { Box } from '@mui/material';
import { basicSetup } from 'codemirror';
import { Compartment, EditorState } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { LanguageDescription } from '@codemirror/language';
import { languages } from '@codemirror/language-data';
import { oneDark } from '@codemirror/theme-one-dark';

export interface CodeEditorProps {
  /** The text the editor starts with (later changes of this prop are ignored). */
  initial: string;
  /** The file name: picks the syntax by extension or well-known name. */
  fileName: string;
  readOnly: boolean;
  dark: boolean;
  label: string;
  onChange(text: string): void;
  /** Ctrl/⌘+S. */
  onSave(): void;
}

/**
 * CodeMirror 6 with the syntax of the file's language; the grammar itself is one more chunk,
 * fetched on first use of that language (@codemirror/language-data).
 */
export default function CodeEditor({ initial, fileName, readOnly, dark, label, onChange, onSave }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const callbacks = useRef({ onChange, onSave });
  callbacks.current = { onChange, onSave };
  const compartments = useRef({ lang: new Compartment(), readOnly: new Compartment(), theme: new Compartment() });

  useEffect(() => {
    const c = compartments.current;
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: initial,
        extensions: [
          keymap.of([{ key: 'Mod-s', preventDefault: true, run: () => (callbacks.current.onSave(), true) }]),
          basicSetup,
          EditorView.lineWrapping,
          c.lang.of([]),
          c.readOnly.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
          c.theme.of(dark ? oneDark : []),
          EditorView.contentAttributes.of({ 'aria-label': label, 'data-testid': 'code-editor' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) callbacks.current.onChange(u.state.doc.toString());
          }),
          EditorView.theme({ '&': { height: '100%' }, '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace' } }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The document is created once; the effects below reconfigure it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    let live = true;
    const desc = LanguageDescription.matchFilename(languages, fileName);
    desc?.load().then((support) => {
      if (live) view.current?.dispatch({ effects: compartments.current.lang.reconfigure(support) });
    }, () => undefined);
    return () => {
      live = false;
    };
  }, [fileName]);

  useEffect(() => {
    view.current?.dispatch({ effects: compartments.current.readOnly.reconfigure([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]) });
  }, [readOnly]);
  useEffect(() => {
    view.current?.dispatch({ effects: compartments.current.theme.reconfigure(dark ? oneDark : []) });
  }, [dark]);

  return <Box ref={host} data-testid="code-editor-host" data-language={LanguageDescription.matchFilename(languages, fileName)?.name ?? ''} sx={{ flex: 1, minHeight: 0, overflow: 'hidden', '& .cm-editor': { height: '100%' }, '& .cm-editor.cm-focused': { outline: 'none' } }} />;
}
