import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let tempCounter = 0;

/** Temp files are `.<name>.tmp-<pid>-<n>`: a leading dot, so directory listings can skip them. */
export function isTempFileName(name: string): boolean {
  return name.startsWith('.') && name.includes('.tmp-');
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${++tempCounter}`);
}

/**
 * Replaces `path` with `data` so that after a crash or power loss at any instant the file holds
 * either the complete old or the complete new content: write a temp file in the same directory,
 * fsync it, rename it over the target (atomic in POSIX), then fsync the directory so the rename
 * itself is durable. `mode` applies to the new file (0600 for key material).
 */
export async function writeFileAtomic(path: string, data: Uint8Array, mode = 0o600): Promise<void> {
  const temp = tempPathFor(path);
  const file = await open(temp, 'wx', mode);
  try {
    let offset = 0;
    while (offset < data.byteLength) {
      const { bytesWritten } = await file.write(data, offset, data.byteLength - offset);
      offset += bytesWritten;
    }
    await file.sync();
  } catch (error) {
    await file.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await syncDirectory(dirname(path));
}

/**
 * Synchronous twin of writeFileAtomic, for the boot loader that runs before anything async. With
 * `sync: false` the fsyncs are left out: still atomic when the process dies (the rename is), not
 * durable across a host power loss (NodeFileStorage's `process` durability).
 */
export function writeFileAtomicSync(path: string, data: Uint8Array, mode = 0o600, options: { sync?: boolean } = {}): void {
  const sync = options.sync ?? true;
  const temp = tempPathFor(path);
  const fd = openSync(temp, 'wx', mode);
  try {
    let offset = 0;
    while (offset < data.byteLength) offset += writeSync(fd, data, offset, data.byteLength - offset);
    if (sync) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      /* already gone */
    }
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  if (!sync) return;
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** fsync on a directory makes a rename or unlink in it durable. */
export async function syncDirectory(directory: string): Promise<void> {
  const dir = await open(directory, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
