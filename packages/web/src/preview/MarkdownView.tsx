import { useMemo } from 'react';
import { Box } from '@mui/material';
import { marked } from 'marked';
import DOMPurify from 'dompurify';

// Links of a rendered document open in a new tab without giving it a handle on this page.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.getAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/** Markdown (GitHub flavour) rendered to HTML and sanitised with DOMPurify: no scripts, no handlers. */
export default function MarkdownView({ text, label }: { text: string; label: string }) {
  const html = useMemo(() => DOMPurify.sanitize(marked.parse(text, { async: false, gfm: true }) as string), [text]);
  return (
    <Box
      role="document"
      aria-label={label}
      data-testid="markdown-view"
      sx={{
        flex: 1, minHeight: 0, overflowY: 'auto', px: { xs: 2, sm: 4 }, py: 3,
        '& > *': { maxWidth: 860, mx: 'auto' },
        typography: 'body1', lineHeight: 1.7, wordBreak: 'break-word',
        '& h1, & h2': { borderBottom: 1, borderColor: 'divider', pb: 0.5 },
        '& pre': { bgcolor: 'action.hover', p: 2, borderRadius: 1, overflowX: 'auto' },
        '& code': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: '0.9em' },
        '& :not(pre) > code': { bgcolor: 'action.hover', px: 0.5, borderRadius: 0.5 },
        '& img': { maxWidth: '100%' },
        '& table': { borderCollapse: 'collapse', display: 'block', overflowX: 'auto' },
        '& th, & td': { border: 1, borderColor: 'divider', px: 1.5, py: 0.75 },
        '& blockquote': { borderLeft: 4, borderColor: 'divider', m: 0, pl: 2, color: 'text.secondary' },
        '& a': { color: 'primary.main' },
      }}
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}
