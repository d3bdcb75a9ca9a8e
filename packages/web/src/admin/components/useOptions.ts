import { useEffect, useState } from 'react';
import { adminApi } from '../api.ts';
import type { AdminGroup, AdminNode, AdminStoragePolicy } from '../types.ts';

/** Groups, policies or nodes for pickers (first 200; admin sites have few of these). */
function useAll<T>(load: () => Promise<{ items: T[] }>): T[] {
  const [items, setItems] = useState<T[]>([]);
  useEffect(() => {
    let live = true;
    load().then((r) => live && setItems(r.items)).catch(() => undefined);
    return () => {
      live = false;
    };
    // The loaders below are module constants.
  }, [load]);
  return items;
}

const loadGroups = () => adminApi.groups({ page: 1, page_size: 200, order_by: 'id', order_direction: 'asc' });
const loadPolicies = () => adminApi.policies({ page: 1, page_size: 200, order_by: 'id', order_direction: 'asc' });
const loadNodes = () => adminApi.nodes({ page: 1, page_size: 200, order_by: 'id', order_direction: 'asc' });

export const useGroups = () => useAll<AdminGroup>(loadGroups);
export const usePolicies = () => useAll<AdminStoragePolicy>(loadPolicies);
export const useNodes = () => useAll<AdminNode>(loadNodes);
