/** The committed generated modules are exactly what the generator makes of their inputs (= npm run codegen:check). */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../codegen/cli.js';
import { COMMITTED_OUTPUTS } from '../../codegen/regenerate.js';
import { repoRoot } from './paths.js';

describe('committed generated modules', () => {
  for (const { out, args } of COMMITTED_OUTPUTS) {
    it(`${out} is up to date`, async () => {
      const dir = path.join(repoRoot, out);
      const runtime = path.relative(dir, path.join(repoRoot, 'modules/datamodel/index.js')).split(path.sep).join('/');
      const errors: string[] = [];
      const code = await main(['generate', ...args, '--out', dir, '--runtime', runtime, '--check'], {
        stdout: () => undefined,
        stderr: (s) => void errors.push(s),
      });
      expect(errors.join(''), 'run npm run codegen:regen').toBe('');
      expect(code).toBe(0);
    });
  }
});
