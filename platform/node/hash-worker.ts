import { Worker } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import type { SignedHash } from '../pal/index.js';

/**
 * SHA-256 and an ECDSA P-256 verify of a stream on a worker thread, so that hashing a firmware image
 * (two passes: node:crypto verifies only over the message, never over a digest) runs on another core
 * while the main thread receives and writes the next bytes. `update` copies the bytes into a ring of
 * shared memory and posts the slot's number (posting the bytes themselves costs ~10x more on the
 * main thread); it waits only if the worker is a whole ring behind. `digest` waits (Atomics.wait)
 * for the worker to finish, which keeps the PAL's synchronous IncrementalHash contract.
 *
 * The worker's code is an inline CommonJS string, so the hasher also works inside an esbuild bundle
 * (a Node device image) where no worker file exists. One worker serves every hash, started on first
 * use and unref'd so it never keeps a process alive.
 */
const WORKER_SOURCE = (slotBytes: number) => `
const { parentPort } = require('node:worker_threads');
const { createHash, createVerify } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'start') {
    jobs.set(m.id, { hash: createHash('sha256'), verifier: createVerify('sha256'), key: m.key, signature: m.signature, ring: m.ring, consumed: new Int32Array(m.consumed) });
  } else if (m.type === 'data') {
    const job = jobs.get(m.id);
    const bytes = new Uint8Array(job.ring, m.slot * ${slotBytes}, m.length);
    job.hash.update(bytes);
    job.verifier.update(bytes);
    Atomics.add(job.consumed, 0, 1);
    Atomics.notify(job.consumed, 0);
  } else if (m.type === 'drop') {
    jobs.delete(m.id);
  } else if (m.type === 'finish') {
    const job = jobs.get(m.id);
    jobs.delete(m.id);
    const result = new Int32Array(m.result);
    const digest = new Uint8Array(m.result, 8, 32);
    digest.set(job.hash.digest());
    let valid = false;
    try {
      valid = job.verifier.verify({ key: job.key, dsaEncoding: 'der' }, job.signature);
    } catch {}
    Atomics.store(result, 1, valid ? 1 : 0);
    Atomics.store(result, 0, 1);
    Atomics.notify(result, 0);
  }
});
`;

/** Ring of shared memory per hash: slots of 64 KiB (the OTA write buffer), up to 1 MiB ahead. */
const SLOT_BYTES = 64 * 1024;
const SLOTS = 16;

/** How long `digest()` (or a full ring) waits for the worker before it reports the worker as failed. */
const FINISH_TIMEOUT_MS = 30_000;

let worker: Worker | undefined;
let workerError: Error | undefined;
let nextId = 1;

function sharedWorker(): Worker {
  if (workerError) throw workerError;
  if (!worker) {
    worker = new Worker(WORKER_SOURCE(SLOT_BYTES), { eval: true });
    worker.unref();
    worker.on('error', (error) => {
      workerError = new Error(`the hashing worker failed: ${error.message}`);
    });
    worker.on('exit', () => {
      worker = undefined;
    });
  }
  return worker;
}

/** A hash dropped before `digest()` (a cancelled download) releases its ring in the worker. */
const dropped = new FinalizationRegistry<{ thread: Worker; id: number }>(({ thread, id }) => thread.postMessage({ type: 'drop', id }));

export function workerSignedHash(key: KeyObject, derSignature: Uint8Array): SignedHash {
  const thread = sharedWorker();
  const id = nextId++;
  const ring = new SharedArrayBuffer(SLOT_BYTES * SLOTS);
  const ringBytes = new Uint8Array(ring);
  const consumed = new Int32Array(new SharedArrayBuffer(4));
  let produced = 0;
  thread.postMessage({ type: 'start', id, key, signature: derSignature.slice(), ring, consumed: consumed.buffer });
  let valid: boolean | undefined;
  const waitFor = (state: Int32Array, index: number, value: number, what: string) => {
    if (Atomics.wait(state, index, value, FINISH_TIMEOUT_MS) === 'timed-out') {
      throw workerError ?? new Error(`the hashing worker did not ${what} in ${FINISH_TIMEOUT_MS} ms`);
    }
  };
  const hash: SignedHash = {
    update: (data) => {
      for (let at = 0; at < data.byteLength; at += SLOT_BYTES) {
        // The slot is free once the worker has consumed what was put there a ring ago.
        for (let seen = Atomics.load(consumed, 0); produced - seen >= SLOTS; seen = Atomics.load(consumed, 0)) {
          waitFor(consumed, 0, seen, 'catch up');
        }
        const piece = data.subarray(at, at + SLOT_BYTES);
        const slot = produced % SLOTS;
        ringBytes.set(piece, slot * SLOT_BYTES);
        thread.postMessage({ type: 'data', id, slot, length: piece.byteLength });
        produced++;
      }
    },
    digest: () => {
      const result = new SharedArrayBuffer(8 + 32);
      thread.postMessage({ type: 'finish', id, result });
      const state = new Int32Array(result);
      waitFor(state, 0, 0, 'answer');
      valid = Atomics.load(state, 1) === 1;
      dropped.unregister(hash);
      return new Uint8Array(result, 8, 32).slice();
    },
    signatureValid: () => {
      if (valid === undefined) throw new Error('signatureValid() is known after digest()');
      return valid;
    },
  };
  dropped.register(hash, { thread, id }, hash);
  return hash;
}
