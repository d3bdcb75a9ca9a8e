import { randomUUID } from 'node:crypto';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { AppError } from '../../http/errors.ts';
import { outboundBuffer } from '../../http/outbound.ts';
import { childElements, parseXml, type XmlElement } from '../../webdav/xml.ts';

/** GET /admin/tool/wopi: a WOPI discovery document as a ViewerGroup (contract 60 §5, 10 §2.6). */

export interface WopiViewer {
  id: string;
  type: 'wopi';
  display_name: string;
  exts: string[];
  icon?: string;
  wopi_actions: Record<string, Record<string, string>>;
}

const attr = (el: XmlElement, name: string) => el.attrs.find((a) => a.local === name)?.value ?? '';

function descendants(el: XmlElement, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of childElements(el)) {
    if (c.local === local) out.push(c);
    out.push(...descendants(c, local));
  }
  return out;
}

/** One viewer per discovery `<app>` with at least one extension action; apps of several net zones merge by name. */
export function discoveryToViewers(xml: string): { viewers: WopiViewer[] } {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (e) {
    throw new AppError(Code.ParamErr, `Invalid WOPI discovery document: ${String((e as Error).message).slice(0, 200)}`);
  }
  if (root.local !== 'wopi-discovery') throw new AppError(Code.ParamErr, 'Invalid WOPI discovery document: root is not <wopi-discovery>');
  const byName = new Map<string, WopiViewer>();
  for (const app of descendants(root, 'app')) {
    const name = attr(app, 'name');
    if (!name) continue;
    const viewer = byName.get(name) ?? { id: randomUUID(), type: 'wopi' as const, display_name: name, exts: [], wopi_actions: {} };
    const icon = attr(app, 'favIconUrl');
    if (icon && !viewer.icon) viewer.icon = icon;
    for (const action of childElements(app).filter((a) => a.local === 'action')) {
      const ext = attr(action, 'ext').toLowerCase();
      const act = attr(action, 'name');
      const src = attr(action, 'urlsrc');
      if (!ext || !act || !src) continue;
      (viewer.wopi_actions[ext] ??= {})[act] ??= src;
      if (!viewer.exts.includes(ext)) viewer.exts.push(ext);
    }
    if (viewer.exts.length) byName.set(name, viewer);
  }
  if (!byName.size) throw new AppError(Code.ParamErr, 'The WOPI discovery document lists no file actions');
  return { viewers: [...byName.values()] };
}

export async function fetchWopiViewers(ctx: Ctx, endpoint: string): Promise<{ viewers: WopiViewer[] }> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new AppError(Code.ParamErr, 'Invalid WOPI discovery endpoint');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError(Code.ParamErr, 'Invalid WOPI discovery endpoint');
  let body: Buffer;
  try {
    const res = await outboundBuffer(ctx, url.toString(), { maxBytes: 10 * 1024 * 1024 });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    body = res.body;
  } catch (e) {
    throw new AppError(Code.InternalSetting, `Failed to fetch WOPI discovery: ${String((e as Error)?.message ?? e).slice(0, 200)}`, { cause: e });
  }
  return discoveryToViewers(body.toString('utf8'));
}
