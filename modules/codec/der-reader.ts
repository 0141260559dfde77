/**
 * A small DER (X.690) reader, the counterpart of der-encoder.ts (which writes). It walks TLVs without
 * copying: each node gives its tag and where its contents sit in the input. Error messages give
 * offsets and tags, never content bytes, because the input may be a private key.
 *
 *   const root = readDer(bytes);                 // the single top-level TLV, must span all bytes
 *   const [version, algorithm, key] = derChildren(bytes, root);
 *   derContents(bytes, key)                      // Uint8Array view of a node's contents
 *   decodeOid(derContents(bytes, oidNode))       // "1.2.840.10045.2.1"
 */

export interface DerNode {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first contents byte. */
  contentStart: number;
  /** Offset just past the contents (and the node). */
  end: number;
}

export class DerError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** Reads the TLV at `offset` in `bytes`, within `limit` (default: the end of `bytes`). */
export function readDerNode(bytes: Uint8Array, offset = 0, limit = bytes.length): DerNode {
  if (offset + 2 > limit) throw new DerError(`DER: truncated header at offset ${offset}`);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`DER: multi-byte tags are not supported (offset ${offset})`);
  let length = bytes[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new DerError(`DER: indefinite length is not DER (offset ${offset})`);
    if (count > 4) throw new DerError(`DER: length of ${count} octets is too large (offset ${offset})`);
    if (contentStart + count > limit) throw new DerError(`DER: truncated length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i]!;
    if (length < 0x80 || (count > 1 && bytes[contentStart] === 0)) throw new DerError(`DER: non-minimal length at offset ${offset}`);
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError(`DER: tag 0x${tag.toString(16)} at offset ${offset} claims ${length} bytes, only ${limit - contentStart} left`);
  return { tag, start: offset, contentStart, end };
}

/** The single top-level node; throws if bytes trail it. */
export function readDer(bytes: Uint8Array): DerNode {
  const node = readDerNode(bytes, 0);
  if (node.end !== bytes.length) throw new DerError(`DER: ${bytes.length - node.end} trailing bytes after the top-level value`);
  return node;
}

/** The children of a constructed node (SEQUENCE, SET, context-specific constructed). */
export function derChildren(bytes: Uint8Array, node: DerNode): DerNode[] {
  if (!(node.tag & 0x20)) throw new DerError(`DER: tag 0x${node.tag.toString(16)} at offset ${node.start} is not constructed`);
  const children: DerNode[] = [];
  for (let offset = node.contentStart; offset < node.end; ) {
    const child = readDerNode(bytes, offset, node.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** A view (no copy) of a node's contents. */
export function derContents(bytes: Uint8Array, node: DerNode): Uint8Array {
  return bytes.subarray(node.contentStart, node.end);
}

/** A view (no copy) of a whole node: tag, length and contents. */
export function derEncoded(bytes: Uint8Array, node: DerNode): Uint8Array {
  return bytes.subarray(node.start, node.end);
}

/** Throws unless `node` has `tag`; `what` names the field in the message. */
export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node) throw new DerError(`DER: missing ${what}`);
  if (node.tag !== tag) throw new DerError(`DER: expected ${what} (tag 0x${tag.toString(16)}), found tag 0x${node.tag.toString(16)} at offset ${node.start}`);
  return node;
}

/** Dotted text of OBJECT IDENTIFIER contents. */
export function decodeOid(contents: Uint8Array): string {
  if (contents.length === 0) throw new DerError('DER: empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < contents.length; i++) {
    const b = contents[i]!;
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (arcs.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        arcs.push(first, value - first * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    } else if (i === contents.length - 1) {
      throw new DerError('DER: truncated OBJECT IDENTIFIER');
    }
  }
  return arcs.join('.');
}

/** Unsigned big-endian magnitude of INTEGER contents (leading sign zero removed). */
export function integerMagnitude(contents: Uint8Array): Uint8Array {
  let start = 0;
  while (start < contents.length - 1 && contents[start] === 0) start++;
  return contents.subarray(start);
}

/** A small non-negative INTEGER's value (versions). */
export function decodeSmallInteger(contents: Uint8Array): number {
  if (contents.length === 0 || contents.length > 6 || contents[0]! & 0x80) throw new DerError('DER: expected a small non-negative INTEGER');
  let value = 0;
  for (const b of contents) value = value * 256 + b;
  return value;
}

/** BIT STRING contents without the unused-bits octet; throws unless that octet is 0. */
export function bitStringBytes(contents: Uint8Array): Uint8Array {
  if (contents.length === 0 || contents[0] !== 0) throw new DerError('DER: expected a BIT STRING with no unused bits');
  return contents.subarray(1);
}
