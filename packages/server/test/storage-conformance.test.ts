import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalDriver } from '../src/storage/local/local-driver.ts';
import { runDriverConformance } from './helpers/driver-conformance.ts';

export { runDriverConformance };

runDriverConformance('local', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-local-'));
  return {
    driver: new LocalDriver({ root: path.join(dir, 'uploads'), tempDir: path.join(dir, 'temp') }),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});
