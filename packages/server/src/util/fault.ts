/**
 * Fault injection for crash tests: when the comma-separated env var CR_FAULT_INJECT names a point,
 * the process kills itself with SIGKILL there (no cleanup, like a power cut of the process). Never
 * set in production; reading one env var per call is the only cost.
 */
export function faultPoint(name: string): void {
  const spec = process.env.CR_FAULT_INJECT;
  if (spec && spec.split(',').map((s) => s.trim()).includes(name)) process.kill(process.pid, 'SIGKILL');
}
