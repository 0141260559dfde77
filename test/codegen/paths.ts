import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Inputs committed with the repo (samples the committed generated modules come from). */
export const inputsDir = path.join(repoRoot, 'codegen/inputs');
/** ../shared/matter: samples and oracle files (override with MI_SHARED_MATTER). */
export const sharedMatter = process.env.MI_SHARED_MATTER ?? path.resolve(repoRoot, '../shared/matter');
export const hasShared = existsSync(path.join(sharedMatter, 'oracle'));
