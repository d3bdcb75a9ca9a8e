import type { Ctx } from './context.ts';

/**
 * "A node row changed" notifications (created, updated or deleted through the admin API), so a
 * live node pool or a cached policy→node lookup can reload it. Listeners run synchronously and
 * must not throw; a failing listener is logged and ignored.
 */
type Listener = (nodeId: number) => void;

const listeners = new WeakMap<Ctx, Set<Listener>>();

/** Subscribes to node changes of this context; returns the unsubscribe function. */
export function onNodeChanged(ctx: Ctx, fn: Listener): () => void {
  let set = listeners.get(ctx);
  if (!set) listeners.set(ctx, (set = new Set()));
  set.add(fn);
  return () => set!.delete(fn);
}

export function emitNodeChanged(ctx: Ctx, nodeId: number): void {
  for (const fn of listeners.get(ctx) ?? []) {
    try {
      fn(nodeId);
    } catch (e) {
      ctx.log.warn('node change listener failed', { node: nodeId, error: String((e as Error)?.message ?? e) });
    }
  }
}
