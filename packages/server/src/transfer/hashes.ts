import { RunningHashes } from './running-hash.ts';

/** The process-wide running upload hashes (one process = one set; see running-hash.ts). */
export const runningHashes = new RunningHashes();
