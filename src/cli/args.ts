/**
 * A small argument parser for the subcommands: `--flag value`, `--flag=value`,
 * repeatable flags, and positionals. Unknown flags are errors.
 */

/** ParsedArgs holds flags (last value wins, or all values for repeatable ones) and positionals. */
export interface ParsedArgs {
  flags: Map<string, string[]>;
  positionals: string[];
}

/** UsageError is a command-line mistake; the message says what to fix. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** parseArgs parses argv against the known flags (`name` → takes a value?). */
export function parseArgs(argv: readonly string[], known: Record<string, boolean>): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!(name in known)) throw new UsageError(`unknown option --${name}`);
    let value = 'true';
    if (known[name]) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw new UsageError(`option --${name} needs a value`);
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { flags, positionals };
}

/** intFlag reads an integer flag within bounds, or the default. */
export function intFlag(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const raw = args.flags.get(name)?.at(-1);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  }
  return n;
}
