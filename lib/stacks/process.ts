/**
 * Child processes with a deadline, for the launchers: a program that does
 * not finish in time is sent SIGTERM, then SIGKILL after a grace period,
 * and the caller learns it was killed; nothing waits forever.
 *
 * @module
 */

/** How a child process ended. */
export interface Finished {
  /** The exit code (128 + signal number when a signal ended it). */
  readonly code: number;
  /** Set when the deadline passed and escoteria killed it. */
  readonly killedAfterMs?: number;
  /** Its stdout, when it was piped. */
  readonly stdout: string;
  /** Its stderr, when it was piped. */
  readonly stderr: string;
}

/** How to run one program. */
export interface RunOptions {
  readonly args: readonly string[];
  /** Milliseconds before it is killed. */
  readonly deadlineMs: number;
  /**
   * `piped` (default) collects the output; `stream` copies it to this
   * process's stdout and stderr as it comes (through pipes, so a program
   * that keeps its own file offsets, as gVisor's sentry does, cannot write
   * over what is already in a file stdout points at); `inherit` hands it
   * this process's stdout and stderr.
   */
  readonly output?: "inherit" | "piped" | "stream";
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** Milliseconds between SIGTERM and SIGKILL (default 5000). */
  readonly graceMs?: number;
}

/** Runs `program`; resolves once it ended, by itself or killed. */
export async function runBounded(
  program: string,
  options: RunOptions,
): Promise<Finished> {
  const output = options.output ?? "piped";
  const child = new Deno.Command(program, {
    args: [...options.args],
    stdin: "null",
    stdout: output === "stream" ? "piped" : output,
    stderr: output === "stream" ? "piped" : output,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
  }).spawn();
  let killedAfterMs: number | undefined;
  let kill: ReturnType<typeof setTimeout> | undefined;
  const term = setTimeout(() => {
    killedAfterMs = options.deadlineMs;
    signal(child, "SIGTERM");
    kill = setTimeout(
      () => signal(child, "SIGKILL"),
      options.graceMs ?? 5000,
    );
  }, options.deadlineMs);
  try {
    if (output === "stream") {
      await Promise.all([
        child.stdout.pipeTo(Deno.stdout.writable, { preventClose: true }),
        child.stderr.pipeTo(Deno.stderr.writable, { preventClose: true }),
      ]);
      const { code } = await child.status;
      return {
        code,
        stdout: "",
        stderr: "",
        ...(killedAfterMs !== undefined ? { killedAfterMs } : {}),
      };
    }
    const out = await child.output().catch(async () => ({
      code: (await child.status).code,
      stdout: new Uint8Array(),
      stderr: new Uint8Array(),
    }));
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return {
      code: out.code,
      stdout: output === "piped" ? decode(out.stdout) : "",
      stderr: output === "piped" ? decode(out.stderr) : "",
      ...(killedAfterMs !== undefined ? { killedAfterMs } : {}),
    };
  } finally {
    clearTimeout(term);
    if (kill !== undefined) clearTimeout(kill);
  }
}

function signal(child: Deno.ChildProcess, name: Deno.Signal): void {
  try {
    child.kill(name);
  } catch {
    // Already gone.
  }
}

/** Searched when PATH cannot be read (no env permission) or is unset. */
export const FALLBACK_PATH =
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The value of environment variable `name` when the env permission allows
 * reading it (asked without a prompt), else `undefined`.
 */
export function readVariable(name: string): string | undefined {
  const env = Deno.permissions.querySync({ name: "env", variable: name });
  return env.state === "granted" ? Deno.env.get(name) : undefined;
}

/** Whether `path` is a file someone may execute (symlinks followed). */
export function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && (info.mode === null || (info.mode & 0o111) !== 0);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    return false; // missing, unreadable, or a path through a file
  }
}

/**
 * The path of `program` on PATH, or `null` when it is not installed. An
 * empty PATH entry (the working directory) is never searched.
 */
export function which(program: string): string | null {
  const dirs = (readVariable("PATH") || FALLBACK_PATH).split(":")
    .filter((dir) => dir !== "");
  for (const dir of dirs) {
    const candidate = `${dir.replace(/\/+$/, "")}/${program}`;
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}
