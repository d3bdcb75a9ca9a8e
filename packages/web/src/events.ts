/** App-wide "something changed" signals between parts that do not share state. */
const bus = new EventTarget();

/** Files were created or deleted for good: storage usage may have changed. */
export const storageChanged = () => bus.dispatchEvent(new Event('storage'));
export function onStorageChanged(listener: () => void): () => void {
  bus.addEventListener('storage', listener);
  return () => bus.removeEventListener('storage', listener);
}
