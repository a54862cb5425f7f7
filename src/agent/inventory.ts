/**
 * The inventory: which objects a Sync applied, stored in its status as
 * `<namespace>_<name>_<group>_<kind>` ids (Flux's format) with the API version used.
 */

/** One applied object. */
export interface InventoryEntry {
  /** `<namespace>_<name>_<group>_<kind>`; namespace and group empty when not applicable. */
  readonly id: string;
  /** API version the object was applied with. */
  readonly v: string;
}

/** The parts of an inventory id. */
export interface ObjectKey {
  readonly namespace: string;
  readonly name: string;
  readonly group: string;
  readonly kind: string;
}

/** The inventory id of an object. Names cannot contain `_`, so the id splits back unambiguously. */
export function inventoryId(key: ObjectKey): string {
  return `${key.namespace}_${key.name}_${key.group}_${key.kind}`;
}

/** Splits an inventory id; returns undefined for a malformed one. */
export function parseInventoryId(id: string): ObjectKey | undefined {
  const parts = id.split('_');
  if (parts.length !== 4 || !parts[1] || !parts[3]) return undefined;
  return { namespace: parts[0]!, name: parts[1], group: parts[2]!, kind: parts[3] };
}

/** Entries of `previous` that are absent from `current` (objects that left git), in `previous` order. */
export function staleEntries(previous: readonly InventoryEntry[], current: readonly InventoryEntry[]): InventoryEntry[] {
  const now = new Set(current.map((e) => e.id));
  return previous.filter((e) => !now.has(e.id));
}

/** Reads an inventory from an untrusted status value, dropping malformed entries. */
export function readInventory(value: unknown): InventoryEntry[] {
  if (!Array.isArray(value)) return [];
  const out: InventoryEntry[] = [];
  for (const e of value) {
    if (typeof e === 'object' && e !== null) {
      const { id, v } = e as { id?: unknown; v?: unknown };
      if (typeof id === 'string' && typeof v === 'string' && parseInventoryId(id)) out.push({ id, v });
    }
  }
  return out;
}
