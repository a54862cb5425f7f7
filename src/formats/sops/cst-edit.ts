/**
 * Removing pairs from maps of the yaml CST so the text reads as if they had never been there
 * (used to strip the scope binding on unseal and plaintext-bearing metadata on seal).
 */
import { CST } from 'yaml';

/** The plain key of a CST map item, when it is a scalar. */
function itemKey(item: CST.CollectionItem): string | undefined {
  return item.key && CST.isScalar(item.key) ? CST.resolveAsScalar(item.key).value : undefined;
}

/** A block map or `{…}` flow map token, or undefined. */
function mapToken(tok: CST.Token | undefined): CST.BlockMap | CST.FlowCollection | undefined {
  return tok && (tok.type === 'block-map' || (tok.type === 'flow-collection' && tok.start.source === '{')) ? tok : undefined;
}

/** Removes `items[i]` and mends the separators around it. */
function removeItem(coll: CST.BlockMap | CST.FlowCollection, i: number): void {
  const [removed] = coll.items.splice(i, 1);
  const next = coll.items[i];
  if (!removed || !next) return;
  if (coll.type === 'flow-collection') {
    if (!removed.start.some((t) => t.type === 'comma')) {
      const firstOther = next.start.findIndex((t) => t.type !== 'comma' && t.type !== 'space');
      next.start = next.start.slice(firstOther < 0 ? next.start.length : firstOther);
    }
  } else if (i === 0 && next.start[0]?.type === 'space') {
    // The first item's indentation sits in the parent's separator, not in the item.
    next.start = next.start.slice(1);
  }
}

/** The metadata map token of a document's root, and the index and token of `metadata.<field>`. */
function metadataField(
  root: CST.BlockMap | CST.FlowCollection | null,
  field: string,
): { meta: CST.BlockMap | CST.FlowCollection; index: number; map: CST.BlockMap | CST.FlowCollection } | undefined {
  const meta = mapToken(root?.items.find((it) => itemKey(it) === 'metadata')?.value);
  const index = meta?.items.findIndex((it) => itemKey(it) === field) ?? -1;
  const map = mapToken(meta?.items[index]?.value);
  return meta && map ? { meta, index, map } : undefined;
}

/** Removes the items of `metadata.<field>` whose key `drop` accepts; the emptied map goes too. */
export function removeMetadataItems(root: CST.BlockMap | CST.FlowCollection | null, field: string, drop: (key: string, item: CST.CollectionItem) => boolean): number {
  const found = metadataField(root, field);
  if (!found) return 0;
  let removed = 0;
  for (let i = found.map.items.length - 1; i >= 0; i--) {
    const item = found.map.items[i];
    const key = item && itemKey(item);
    if (item && key !== undefined && drop(key, item)) {
      removeItem(found.map, i);
      removed++;
    }
  }
  // An emptied block map would leave its indentation to swallow the next key.
  if (removed > 0 && found.map.items.length === 0) removeItem(found.meta, found.index);
  return removed;
}
