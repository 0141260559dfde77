// Runs a CommonJS bundle with a V8 code cache kept in a file beside it.
//
// Node 20 compiles each function on its first call. In a short run such as one code generator run,
// that compile work is a large share of the whole (camera-app: ~8 ms of ~50 ms for parse and
// generate). The cache holds the bytecode V8 made for every function an earlier run called, so later
// runs skip compiling them. It is written at exit when there was none or it was refused. V8 refuses
// a cache made by another V8 version or with other flags, but of the source it checks only the
// length, so the file also holds the source's SHA-256: a cache of an edited bundle of the same
// length would otherwise run the old bytecode. Node 22's module.enableCompileCache() does this for
// modules; Node 20 has it only for scripts compiled through vm.Script.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/**
 * Evaluates `file` as a CommonJS module with `cacheFile` as its code cache. Returns its exports and
 * whether V8 took the cache (false: there was none, or V8 refused it; a new one is written at exit).
 */
export function runWithCodeCache(file, cacheFile) {
  const source = readFileSync(file, 'utf8');
  const sourceHash = createHash('sha256').update(source).digest();
  let cachedData;
  try {
    const stored = readFileSync(cacheFile);
    if (stored.subarray(0, sourceHash.length).equals(sourceHash)) cachedData = stored.subarray(sourceHash.length);
  } catch {
    cachedData = undefined;
  }
  // The wrapper stays on the bundle's first line, so line numbers in stack traces are the bundle's.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const cacheUsed = cachedData !== undefined && !script.cachedDataRejected;
  if (!cacheUsed) {
    // At exit the cache includes every function this run compiled, not just the top level.
    process.once('exit', () => writeCodeCache(script, sourceHash, cacheFile));
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
  return { exports: module.exports, cacheUsed };
}

/** The cache file: the source's SHA-256, then V8's code cache. */
function writeCodeCache(script, sourceHash, cacheFile) {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, Buffer.concat([sourceHash, script.createCachedData()]));
    // Concurrent runs each write their own temp file; the last rename wins, and every one is whole.
    renameSync(tmp, cacheFile);
  } catch {
    // A read-only install runs without a cache.
    rmSync(tmp, { force: true });
  }
}
