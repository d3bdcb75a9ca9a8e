import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { BasicSiteConfig } from '@cloudreve-ts/protocol';
import { api } from './api/client.ts';
import { siteConfig } from './api/endpoints.ts';
import { useSession } from './auth/session.ts';

const SiteContext = createContext<BasicSiteConfig>({});
const CACHE_KEY = 'siteConfigCache_basic';

function cached(): BasicSiteConfig {
  try {
    return JSON.parse(localStorage.getItem(CACHE_KEY) ?? '{}') as BasicSiteConfig;
  } catch {
    return {};
  }
}

/**
 * Public site settings (title, captcha type). Loaded once per sign-in state; with a session the
 * answer also carries the current user, which replaces the stored one (contract README item 2).
 */
export function SiteProvider({ children }: { children: ReactNode }) {
  const [config, setConfig] = useState<BasicSiteConfig>(cached);
  const signedIn = Boolean(useSession());

  useEffect(() => {
    let live = true;
    siteConfig.basic().then((c) => {
      if (!live) return;
      const { user, ...site } = c;
      localStorage.setItem(CACHE_KEY, JSON.stringify(site));
      setConfig(site);
      if (user && !user.anonymous) api.updateUser(user);
    }).catch(() => undefined);
    return () => {
      live = false;
    };
  }, [signedIn]);

  useEffect(() => {
    if (config.title) document.title = config.title;
  }, [config.title]);

  return <SiteContext.Provider value={config}>{children}</SiteContext.Provider>;
}

export const useSite = () => useContext(SiteContext);
