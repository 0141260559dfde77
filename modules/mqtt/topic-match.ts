/**
 * MQTT topic filter matching (3.1.1 §4.7): `+` matches one level, `#` the rest (including the parent
 * level), and a filter starting with a wildcard never matches a topic starting with `$` (§4.7.2).
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  if (topic.charCodeAt(0) === 0x24 /* $ */ && (filter.charCodeAt(0) === 0x2b || filter.charCodeAt(0) === 0x23)) {
    return false;
  }
  let f = 0;
  let t = 0;
  const fl = filter.length;
  const tl = topic.length;
  while (f < fl) {
    const fc = filter.charCodeAt(f);
    if (fc === 0x23 /* # */) return true;
    if (fc === 0x2b /* + */) {
      // Skip one topic level (possibly empty).
      while (t < tl && topic.charCodeAt(t) !== 0x2f) t++;
      f++;
      if (f === fl) return t === tl;
      continue;
    }
    if (t >= tl) {
      // "a/b/#" matches "a/b": the filter remainder is exactly "/#".
      return fc === 0x2f && f + 2 === fl && filter.charCodeAt(f + 1) === 0x23;
    }
    if (fc !== topic.charCodeAt(t)) return false;
    f++;
    t++;
  }
  return t === tl;
}
