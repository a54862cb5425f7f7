// Inventory ids and the diff that decides what prune considers.
import { describe, expect, it } from 'vitest';
import { inventoryId, parseInventoryId, readInventory, staleEntries } from '../../src/agent/inventory.js';

describe('inventory', () => {
  it('round-trips ids of namespaced, cluster-scoped and core objects', () => {
    for (const key of [
      { namespace: 'a', name: 'web', group: 'apps', kind: 'Deployment' },
      { namespace: '', name: 'w.x.io', group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
      { namespace: 'a', name: 'cfg', group: '', kind: 'ConfigMap' },
    ]) {
      expect(parseInventoryId(inventoryId(key))).toEqual(key);
    }
    expect(inventoryId({ namespace: 'a', name: 'cfg', group: '', kind: 'ConfigMap' })).toBe('a_cfg__ConfigMap');
  });

  it('lists entries that left git, in their previous order', () => {
    const prev = [{ id: 'a_x__ConfigMap', v: 'v1' }, { id: 'a_y__ConfigMap', v: 'v1' }, { id: 'a_z_apps_Deployment', v: 'apps/v1' }];
    expect(staleEntries(prev, [{ id: 'a_y__ConfigMap', v: 'v1' }])).toEqual([prev[0], prev[2]]);
    expect(staleEntries(prev, prev)).toEqual([]);
  });

  it('drops malformed entries read from status', () => {
    expect(readInventory([{ id: 'a_x__ConfigMap', v: 'v1' }, { id: 'nonsense', v: 'v1' }, { id: 'a_x__Secret' }, 'x'])).toEqual([{ id: 'a_x__ConfigMap', v: 'v1' }]);
    expect(readInventory(undefined)).toEqual([]);
  });
});
