import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve, sep } from 'node:path';

/**
 * Serves files from the firmware directory with single-range support (`Range: bytes=a-b`, `a-`, `-n`),
 * the way an OTA agent downloads an image block by block.
 */
export function serveFirmware(dir: string, relativePath: string, request: IncomingMessage, response: ServerResponse)
  : void {
  const root = resolve(dir);
  const path = resolve(root, decodeURIComponent(relativePath));
  if (!path.startsWith(root + sep)) {
    response.writeHead(403).end();
    return;
  }
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new Error('not a file');
    size = stat.size;
  } catch {
    response.writeHead(404, { 'content-type': 'text/plain' }).end(`no firmware file ${relativePath}\n`);
    return;
  }
  const headers: Record<string, string | number> = {
    'accept-ranges': 'bytes', 'content-type': 'application/octet-stream',
  };
  const range = request.headers.range;
  let start = 0;
  let end = size - 1;
  let status = 200;
  if (range !== undefined) {
    const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (!match || (match[1] === '' && match[2] === '')) {
      response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    if (match[1] === '') {
      start = Math.max(0, size - Number(match[2]));
    } else {
      start = Number(match[1]);
      end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
    }
    if (start >= size || start > end) {
      response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['content-length'] = size === 0 ? 0 : end - start + 1;
  response.writeHead(status, headers);
  if (request.method === 'HEAD' || size === 0) {
    response.end();
    return;
  }
  createReadStream(path, { start, end }).pipe(response);
}
