import dns from 'node:dns/promises';
import net from 'node:net';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { AppError } from '../http/errors.ts';
import { addressAllowed, outboundPolicy } from '../http/outbound.ts';

const refused = (what: string) => new AppError(Code.ParamErr, `Remote download source refused: ${what} is not an allowed destination`);

/**
 * Vets a remote-download source before a downloader fetches it: magnet links (BitTorrent info-hash)
 * and http(s) URLs whose host resolves only to addresses the outbound rules allow (no loopback or
 * private targets unless `outbound_allow_private` / `outbound_allowed_hosts`). The downloader
 * resolves and follows redirects on its own, so this is a pre-flight check, not a socket guard.
 */
export async function checkDownloadSource(ctx: Ctx, raw: string): Promise<string> {
  const src = raw.trim();
  if (/^magnet:\?/i.test(src)) {
    if (!/[?&]xt=urn:bt(ih|mh):[0-9a-z]+/i.test(src)) throw new AppError(Code.ParamErr, 'Magnet link has no BitTorrent info-hash');
    return src;
  }
  let url: URL;
  try {
    url = new URL(src);
  } catch {
    throw new AppError(Code.ParamErr, `Invalid download URL: ${src.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError(Code.ParamErr, `Unsupported download URL scheme ${url.protocol}`);
  const policy = outboundPolicy(ctx);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) {
    if (!addressAllowed(policy, host, host)) throw refused(host);
    return url.toString();
  }
  let addrs: { address: string }[];
  try {
    addrs = await dns.lookup(host, { all: true });
  } catch {
    throw new AppError(Code.ParamErr, `Cannot resolve host ${host}`);
  }
  const bad = addrs.find((a) => !addressAllowed(policy, host, a.address));
  if (bad || !addrs.length) throw refused(`${host} (${bad?.address ?? 'no address'})`);
  return url.toString();
}
