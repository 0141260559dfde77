/**
 * upstream `merge_globals=True`: every cluster gets the global enums, bitmaps and structs it
 * references, recursively, unless it defines a type of the same name itself. The order reproduces
 * upstream exactly: each pass walks the referenced names sorted, inserting each new global at the front.
 */
import type { Bitmap, Cluster, Enum, Idl, Struct } from './model.js';

function referencedTypeNames(cluster: Cluster): string[] {
  const names = new Set<string>();
  for (const s of cluster.structs) for (const f of s.fields) names.add(f.type.name);
  for (const e of cluster.events) for (const f of e.fields) names.add(f.type.name);
  for (const a of cluster.attributes) names.add(a.definition.type.name);
  return [...names].sort();
}

export function mergeGlobalsIntoClusters(idl: Idl): Idl {
  const enums = new Map<string, Enum>(idl.globalEnums.map((e) => [e.name, e]));
  const bitmaps = new Map<string, Bitmap>(idl.globalBitmaps.map((b) => [b.name, b]));
  const structs = new Map<string, Struct>(idl.globalStructs.map((s) => [s.name, s]));
  if (enums.size === 0 && bitmaps.size === 0 && structs.size === 0) return idl;
  for (const cluster of idl.clusters) {
    const present = new Set<string>();
    for (const t of cluster.bitmaps) present.add(t.name);
    for (const t of cluster.structs) present.add(t.name);
    for (const t of cluster.enums) present.add(t.name);
    // Upstream repeats passes over all referenced names until one adds no struct. Names a pass
    // leaves out are not global types and stay so, so a further pass can only add names that the
    // structs added by the pass before it reference: walk just those (sorted, as upstream).
    let pass = referencedTypeNames(cluster);
    while (pass.length) {
      const addedStructs: Struct[] = [];
      for (const name of pass) {
        if (present.has(name)) continue;
        const bitmap = bitmaps.get(name);
        const enumType = bitmap ? undefined : enums.get(name);
        const struct = bitmap || enumType ? undefined : structs.get(name);
        if (bitmap) cluster.bitmaps.unshift(bitmap);
        else if (enumType) cluster.enums.unshift(enumType);
        else if (struct) {
          cluster.structs.unshift(struct);
          addedStructs.push(struct);
        } else continue;
        present.add(name);
      }
      const next = new Set<string>();
      for (const s of addedStructs) for (const f of s.fields) if (!present.has(f.type.name)) next.add(f.type.name);
      pass = [...next].sort();
    }
  }
  return idl;
}
