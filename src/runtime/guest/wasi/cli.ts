/**
 * `wasi:cli/*` for one workload: environment and arguments from its spec, stdin empty and
 * closed, stdout/stderr line-buffered into callbacks, no terminals, and `exit` as a
 * {@link WasiExitError} the engine recognises.
 */
import { WasiExitError } from './exit.js';
import { LineSink } from './lines.js';
import { inputStream, outputStream } from '../../shared/shim.js';

/** CliOptions is what the `wasi:cli` interfaces of one workload expose. */
export interface CliOptions {
  env: Readonly<Record<string, string>> | readonly (readonly [string, string])[];
  args: readonly string[];
  cwd: string | undefined;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/** CliImports holds the `wasi:cli` import fragment and the sinks to flush at the end. */
export interface CliImports {
  imports: Record<string, Record<string, unknown>>;
  flush(): void;
}

const OUTPUT_PERMIT = 1n << 20n;

function outputTo(sink: LineSink): unknown {
  return outputStream({
    checkWrite: () => OUTPUT_PERMIT,
    write: (buf: Uint8Array) => sink.write(buf),
    flush: () => {},
  });
}

function closedInput(): unknown {
  const closed = (): never => {
    throw { tag: 'closed' };
  };
  return inputStream({ read: closed, blockingRead: closed, skip: closed, blockingSkip: closed });
}

class TerminalInput {}
class TerminalOutput {}

/** createCli builds the `wasi:cli/*` imports of one workload. */
export function createCli(options: CliOptions): CliImports {
  const pairs = Array.isArray(options.env) ? options.env : Object.entries(options.env);
  const env = pairs.map(([k, v]) => [String(k), String(v)] as [string, string]);
  const args = [...options.args];
  const stdout = new LineSink(options.stdout);
  const stderr = new LineSink(options.stderr);
  const flush = () => {
    stdout.flush();
    stderr.flush();
  };
  const exit = (code: number): never => {
    flush();
    throw new WasiExitError(code);
  };
  return {
    flush,
    imports: {
      'wasi:cli/environment': {
        getEnvironment: () => env.map(([k, v]) => [k, v]),
        getArguments: () => [...args],
        initialCwd: () => options.cwd,
      },
      'wasi:cli/exit': {
        exit: (status: { tag: 'ok' | 'err' }) => exit(status.tag === 'ok' ? 0 : 1),
        exitWithCode: (code: number) => exit(code),
      },
      'wasi:cli/stdin': { getStdin: closedInput },
      'wasi:cli/stdout': { getStdout: () => outputTo(stdout) },
      'wasi:cli/stderr': { getStderr: () => outputTo(stderr) },
      'wasi:cli/terminal-input': { TerminalInput },
      'wasi:cli/terminal-output': { TerminalOutput },
      'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
      'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
      'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    },
  };
}
