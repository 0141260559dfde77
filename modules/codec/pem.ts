import { decodeBase64, encodeBase64 } from './base64.js';

/** A PEM block: `label` is the word after BEGIN (`CERTIFICATE`, `PRIVATE KEY`, …). */
export interface PemBlock {
  label: string;
  der: Uint8Array;
}

export function encodePem(label: string, der: Uint8Array): string {
  const body = encodeBase64(der).replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/** Every PEM block in `text`, in order. Throws if a BEGIN has no matching END. */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    if (match[1] !== match[3]) throw new SyntaxError(`PEM block BEGIN ${match[1]} ends with END ${match[3]}`);
    blocks.push({ label: match[1]!, der: decodeBase64(match[2]!) });
  }
  return blocks;
}

/** The DER of the first block with `label`; throws naming the labels found otherwise. */
export function decodePem(text: string, label: string): Uint8Array {
  const blocks = decodePemBlocks(text);
  const block = blocks.find((b) => b.label === label);
  if (!block) {
    const found = blocks.map((b) => b.label).join(', ') || 'none';
    throw new SyntaxError(`expected a PEM block "${label}", found ${found}`);
  }
  return block.der;
}
