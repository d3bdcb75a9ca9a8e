/**
 * Heavy optional dependencies, loaded on first use. The server bundle keeps npm packages external
 * and hoists their static imports, so a static `import sharp from 'sharp'` would load libvips at
 * start even on a server that never renders an image.
 */
import type sharpType from 'sharp';

let sharpModule: Promise<typeof sharpType> | undefined;

export function loadSharp(): Promise<typeof sharpType> {
  sharpModule ??= import('sharp').then((m) => m.default);
  return sharpModule;
}
