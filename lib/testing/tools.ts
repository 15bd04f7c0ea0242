/**
 * Test helper: finds an independent observer (tcpdump, ss) on PATH. A
 * cross-check whose tool is missing is skipped with a warning on a
 * developer's machine, but fails under CI (`CI` set), where `.ci/run`
 * installs the tools: a cross-check that silently never runs is no check.
 *
 * @module
 */

/**
 * The first line `command args` prints, or `null` when the command is not
 * installed (then warns, or throws under CI).
 */
export function requireTool(
  command: string,
  args: readonly string[],
  purpose: string,
): string | null {
  try {
    const out = new Deno.Command(command, {
      args: [...args],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    const text = new TextDecoder().decode(
      out.stdout.length ? out.stdout : out.stderr,
    );
    return text.trim().split("\n")[0] ?? "";
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const message = `${command} is not installed: ${purpose} cannot run`;
  if (Deno.env.get("CI")) throw new Error(`${message} (CI requires it)`);
  console.warn(`${message}; skipped`);
  return null;
}
