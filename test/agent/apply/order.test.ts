// Apply ordering: stage one, kind ranks, and a total, deterministic order.
import { describe, expect, it } from 'vitest';
import { compareApplyOrder, isStageOne, kindRank } from '../../../src/agent/apply/order.js';

const o = (kind: string, name: string, namespace = '', group = '') => ({ kind, name, namespace, group });

describe('apply order', () => {
  it('puts CRDs and Namespaces in stage one and nothing else', () => {
    expect(isStageOne('apiextensions.k8s.io', 'CustomResourceDefinition')).toBe(true);
    expect(isStageOne('', 'Namespace')).toBe(true);
    expect(isStageOne('example.com', 'Namespace')).toBe(false);
    expect(isStageOne('', 'ConfigMap')).toBe(false);
  });

  it('orders known kinds before unknown kinds and admission webhooks last', () => {
    expect(kindRank('Namespace')).toBeLessThan(kindRank('ServiceAccount'));
    expect(kindRank('Secret')).toBeLessThan(kindRank('Deployment'));
    expect(kindRank('Deployment')).toBeLessThan(kindRank('Widget'));
    expect(kindRank('Widget')).toBeLessThan(kindRank('ValidatingWebhookConfiguration'));
  });

  it('sorts by kind rank, then namespace and name, the same way from any starting order', () => {
    const items = [o('Deployment', 'web', 'a', 'apps'), o('Widget', 'w', 'a', 'x.io'), o('ConfigMap', 'b', 'a'), o('ConfigMap', 'a', 'b'), o('ConfigMap', 'a', 'a'), o('Namespace', 'a'), o('CustomResourceDefinition', 'w.x.io', '', 'apiextensions.k8s.io')];
    const expected = ['CustomResourceDefinition/w.x.io', 'Namespace/a', 'ConfigMap/a/a', 'ConfigMap/b/a', 'ConfigMap/a/b', 'Deployment/web/a', 'Widget/w/a'];
    for (const start of [items, [...items].reverse(), [...items.slice(3), ...items.slice(0, 3)]]) {
      const sorted = [...start].sort(compareApplyOrder).map((x) => [x.kind, x.name, x.namespace].filter(Boolean).join('/'));
      expect(sorted).toEqual(expected);
    }
  });
});
