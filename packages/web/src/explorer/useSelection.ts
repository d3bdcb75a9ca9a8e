import { useCallback, useMemo, useState } from 'react';
import type { FileResponse } from '@cloudreve-ts/protocol';

export interface PointerModifiers { shiftKey: boolean; ctrlKey: boolean; metaKey: boolean }

/**
 * File-manager selection over the loaded rows: click selects one, Ctrl/⌘-click toggles, Shift-click
 * selects the range from the anchor (added to the selection with Ctrl/⌘). `focus` is the row the
 * keyboard acts on.
 */
export function useSelection(items: readonly FileResponse[]) {
  const [ids, setIds] = useState<ReadonlySet<string>>(() => new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const [focus, setFocus] = useState<number | null>(null);

  const selectedItems = useMemo(() => (ids.size ? items.filter((f) => ids.has(f.id)) : []), [items, ids]);

  const rangeIds = useCallback((from: number, to: number) => {
    const [a, b] = from <= to ? [from, to] : [to, from];
    return items.slice(a, b + 1).map((f) => f.id);
  }, [items]);

  const click = useCallback(
    (index: number, mod: PointerModifiers) => {
      const item = items[index];
      if (!item) return;
      const additive = mod.ctrlKey || mod.metaKey;
      if (mod.shiftKey && anchor !== null) {
        const range = rangeIds(anchor, index);
        setIds((prev) => new Set(additive ? [...prev, ...range] : range));
      } else if (additive) {
        setIds((prev) => {
          const next = new Set(prev);
          if (next.has(item.id)) next.delete(item.id);
          else next.add(item.id);
          return next;
        });
        setAnchor(index);
      } else {
        setIds(new Set([item.id]));
        setAnchor(index);
      }
      setFocus(index);
    },
    [items, anchor, rangeIds],
  );

  /** Arrow keys: move the focus, extending the selection with Shift. */
  const moveFocus = useCallback(
    (delta: number, extend: boolean) => {
      if (!items.length) return;
      const from = focus ?? (delta > 0 ? -1 : items.length);
      const index = Math.max(0, Math.min(items.length - 1, from + delta));
      if (extend && anchor !== null) setIds(new Set(rangeIds(anchor, index)));
      else {
        setIds(new Set([items[index]!.id]));
        setAnchor(index);
      }
      setFocus(index);
    },
    [items, focus, anchor, rangeIds],
  );

  const selectAll = useCallback(() => setIds(new Set(items.map((f) => f.id))), [items]);
  const clear = useCallback(() => {
    setIds(new Set());
    setAnchor(null);
    setFocus(null);
  }, []);
  /** Puts the keyboard focus on a row without selecting it (arrows and Enter continue from there). */
  const focusOn = useCallback((index: number) => {
    setFocus(index);
    setAnchor(index);
  }, []);
  /** Right-click on a row outside the selection selects just that row. */
  const ensureSelected = useCallback(
    (index: number) => {
      const item = items[index];
      if (item && !ids.has(item.id)) {
        setIds(new Set([item.id]));
        setAnchor(index);
      }
      setFocus(index);
    },
    [items, ids],
  );

  return { ids, selectedItems, focus, click, moveFocus, selectAll, clear, ensureSelected, focusOn };
}
