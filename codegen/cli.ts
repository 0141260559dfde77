/**
 * mi-codegen: the data-model code generator.
 *
 *   mi-codegen dump-idl FILE.matter
 *   mi-codegen generate INPUT… --out DIR [--clusters A,B] [--custom-schemas-dir DIR] [--runtime SPEC] [--check]
 *
 * A user's mistake (bad input, unknown option) prints one line naming file:line:column, what was found
 * and what was expected, and exits 2 without a stack trace. --check exits 1 when the files on disk
 * differ from what would be generated.
 */
import { readFile } from 'node:fs/promises';
import { parseMatterIdl } from './idl/parser.js';
import { idlToJson, printCanonicalJson } from './idl/canonical-json.js';
import { generate, DEFAULT_RUNTIME } from './generator/generate.js';
import { CodegenInputError, CodegenUsageError } from './errors.js';
import { CodegenModelError } from './generator/model-error.js';

const USAGE = `usage:
  mi-codegen dump-idl FILE.matter
  mi-codegen generate INPUT... --out DIR [--clusters A,B] [--custom-schemas-dir DIR] [--runtime SPEC] [--check]
    INPUT: .matter files and custom capability schemas (.json)
    --runtime: import specifier of the data-model runtime (default ${DEFAULT_RUNTIME})`;

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

function parseArgs(args: string[]): { positional: string[]; options: Map<string, string | true> } {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  const valued = new Set(['--out', '--clusters', '--custom-schemas-dir', '--runtime']);
  const flags = new Set(['--check', '--help']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq === -1 ? a : a.slice(0, eq);
    if (flags.has(name)) {
      options.set(name, true);
    } else if (valued.has(name)) {
      const value = eq === -1 ? args[++i] : a.slice(eq + 1);
      if (value === undefined || value === '') throw new CodegenUsageError(`option ${name} needs a value\n${USAGE}`);
      options.set(name, value);
    } else {
      throw new CodegenUsageError(`unknown option ${name}\n${USAGE}`);
    }
  }
  return { positional, options };
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CodegenUsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  try {
    const [command, ...rest] = argv;
    const { positional, options } = parseArgs(rest);
    if (command === undefined || command === '--help' || options.has('--help')) {
      io.stdout(USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    if (command === 'dump-idl') {
      if (positional.length !== 1) throw new CodegenUsageError(`dump-idl takes one .matter file, got ${positional.length}\n${USAGE}`);
      const file = positional[0]!;
      const idl = parseMatterIdl(await readInput(file), file);
      io.stdout(printCanonicalJson(idlToJson(idl)) + '\n');
      return 0;
    }
    if (command === 'generate') {
      const out = options.get('--out');
      if (typeof out !== 'string') throw new CodegenUsageError(`generate needs --out DIR\n${USAGE}`);
      if (positional.length === 0) throw new CodegenUsageError(`generate needs at least one input file\n${USAGE}`);
      for (const f of positional) await readInput(f); // a missing input is a usage error, not a crash
      const clusters = options.get('--clusters');
      const schemasDir = options.get('--custom-schemas-dir');
      const runtime = options.get('--runtime');
      const check = options.get('--check') === true;
      const result = await generate({
        inputs: positional,
        out,
        ...(typeof clusters === 'string' ? { clusters: clusters.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
        ...(typeof schemasDir === 'string' ? { customSchemasDir: schemasDir } : {}),
        ...(typeof runtime === 'string' ? { runtime } : {}),
        check,
      });
      if (check) {
        if (result.changed.length) {
          io.stderr(`${out}: ${result.changed.length} generated file(s) differ from the inputs: ${result.changed.join(', ')}\nrun mi-codegen generate without --check to update them\n`);
          return 1;
        }
        io.stdout(`${out}: ${result.files.size} generated files up to date\n`);
        return 0;
      }
      io.stdout(`${out}: wrote ${result.changed.length} of ${result.files.size} files\n`);
      return 0;
    }
    throw new CodegenUsageError(`unknown command ${command}\n${USAGE}`);
  } catch (error) {
    if (error instanceof CodegenInputError || error instanceof CodegenUsageError || error instanceof CodegenModelError) {
      io.stderr(`mi-codegen: ${error.message}\n`);
      return 2;
    }
    if (error instanceof Error && 'code' in error && typeof (error as NodeJS.ErrnoException).path === 'string') {
      io.stderr(`mi-codegen: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
}

const isEntry = (() => {
  const entry = process.argv[1] ?? '';
  return /(?:^|[\\/])(?:cli\.ts|mi-codegen(?:\.mjs)?)$/.test(entry);
})();

if (isEntry) {
  // No top-level await: bin/mi-codegen.mjs runs this file bundled as CommonJS.
  void main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  }).then((code) => {
    process.exitCode = code;
  });
}
