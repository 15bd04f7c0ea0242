/**
 * Command-line parsing shared by escoteria's entry points: `node:util`
 * `parseArgs` in strict mode, with its errors turned into one-line
 * {@linkcode UsageError}s.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";

/** Bad input on the command line: print the message, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parses `args` against `options`, throwing {@linkcode UsageError}. */
export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (e) {
    throw new UsageError(describeParseError(e));
  }
}

function describeParseError(e: unknown): string {
  const error = e as { code?: string; message?: string };
  const message = error.message ?? String(e);
  const flag = /'(-[^']*)'/.exec(message)?.[1];
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag ?? message}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? message}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      // `'-h, --help'` names both forms; the long one is what users type.
      const name = flag?.split(/[,\s]+/).filter((t) => t.startsWith("-"))
        .at(-1);
      if (!name) return message;
      return /does not take an argument/.test(message)
        ? `flag ${name} takes no value`
        : `flag ${name} needs a value`;
    }
    default:
      return message.split("\n")[0]!;
  }
}

/** Parses a positive integer flag value, or throws {@linkcode UsageError}. */
export function positiveInteger(
  flag: string,
  text: string,
  max = 1000,
): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(
      `${flag} must be an integer from 1 to ${max}, not "${text}"`,
    );
  }
  return Number(text);
}
