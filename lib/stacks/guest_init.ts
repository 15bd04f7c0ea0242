/**
 * The guest's side of the QEMU launcher, as shell text for busybox `sh`:
 * the `/init` the kernel starts (the same for every run, so it lives in
 * the cached part of the initramfs), and the small `run.env` each run adds
 * (the command, its working directory, the hand-over, what to bring back).
 *
 * `/init` mounts proc, sysfs and devtmpfs, brings `lo` up, loads the
 * sock_diag and veth modules, says "started" on the second serial port,
 * runs the command on the console, then sends back over that port every
 * file under the checkout's `results/` that the run added or changed, the
 * `--out` file and the `--pcap` folder's files, then `done <exit code>`,
 * and powers off.
 *
 * @module
 */

import { STACK_ENV } from "../results/stack.ts";
import { SERIAL_SENDER } from "./serial_files.ts";

/** Where things are inside the guest. */
export const GUEST = {
  /** The deno binary. */
  deno: "/usr/local/bin/deno",
  /** The Deno cache, filled on the host. */
  denoDir: "/var/cache/deno",
  /**
   * Kernel modules `/init` loads, in this order (a dependency first):
   * sock_diag for the TCP state reader, veth for the network namespace
   * pairs (`lib/net/namespaces.ts`). Where each sits in Debian's kernel
   * package: `MODULE_PATHS` in `debian_kernel.ts`.
   */
  modulesDir: "/lib/modules/escoteria",
  modules: ["inet_diag.ko", "tcp_diag.ko", "veth.ko"],
  /** The run's settings, sourced by `/init`. */
  runEnv: "/escoteria/run.env",
  /** The serial port files and the exit code go out on. */
  port: "/dev/ttyS1",
  home: "/root",
} as const;

/** One argument quoted for `sh`: `'it'\''s'`. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The `/init` script (the same for every run). */
export function initScript(): string {
  const modules = GUEST.modules.map((m) =>
    `insmod ${GUEST.modulesDir}/${m} || say "cannot load ${m}"`
  ).join("\n");
  return `#!/bin/sh
# escoteria's guest init: run one command, send its files back, power off.
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
say() { echo "escoteria guest: $*"; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /dev/pts /dev/shm
chmod 1777 /tmp
${SERIAL_SENDER.trim()}
stty -F ${GUEST.port} raw -echo 2>/dev/null
exec 3>${GUEST.port}
serial_started >&3
. ${GUEST.runEnv}
if [ -n "$ESCOTERIA_DEADLINE" ]; then
  # In case the host is gone: it would have killed QEMU by now.
  (sleep "$ESCOTERIA_DEADLINE"; say "deadline passed, powering off"
    echo 0 >/proc/sys/kernel/printk; poweroff -f) &
fi
stty -onlcr 2>/dev/null
if [ -n "$ESCOTERIA_COLUMNS" ]; then
  stty cols "$ESCOTERIA_COLUMNS" rows "\${ESCOTERIA_ROWS:-24}" 2>/dev/null
fi
ip link set lo up || say "cannot bring lo up"
${modules}
cp -a "$ESCOTERIA_CHECKOUT/results" /tmp/results.before
export HOME=${GUEST.home} DENO_DIR=${GUEST.denoDir} DENO_NO_UPDATE_CHECK=1
export ${STACK_ENV}="$ESCOTERIA_STACK_JSON"
[ -n "$ESCOTERIA_NO_COLOR" ] && export NO_COLOR=1
[ -n "$ESCOTERIA_COLUMNS" ] && export COLUMNS="$ESCOTERIA_COLUMNS"
mkdir -p "$ESCOTERIA_CWD"
cd "$ESCOTERIA_CWD" || say "cannot cd to $ESCOTERIA_CWD"
if [ -n "$ESCOTERIA_TERMINAL" ]; then
  ${GUEST.deno} "$@"
  code=$?
else
  # Not a terminal on the host: not one here either (no progress line).
  { ${GUEST.deno} "$@" 2>&1; echo $? >/tmp/code; } | cat
  code=$(cat /tmp/code 2>/dev/null || echo 1)
fi
cd /
{
  (cd "$ESCOTERIA_CHECKOUT" && find results -type f) | while IFS= read -r f; do
    if ! cmp -s "$ESCOTERIA_CHECKOUT/$f" "/tmp/results.before/\${f#results/}"
    then
      serial_file "$f" "$ESCOTERIA_CHECKOUT/$f"
    fi
  done
  if [ -n "$ESCOTERIA_OUT" ] && [ -f "$ESCOTERIA_OUT" ]; then
    serial_file out "$ESCOTERIA_OUT"
  fi
  if [ -n "$ESCOTERIA_PCAP" ] && [ -d "$ESCOTERIA_PCAP" ]; then
    (cd "$ESCOTERIA_PCAP" && find . -type f) | while IFS= read -r f; do
      serial_file "pcap/\${f#./}" "$ESCOTERIA_PCAP/\${f#./}"
    done
  fi
  serial_done "$code"
} >&3
exec 3>&-
sync
# Not even "reboot: Power down" on the console.
echo 0 >/proc/sys/kernel/printk
poweroff -f
`;
}

/** What one run inside the guest is. */
export interface GuestRun {
  /** The checkout's path (the same inside as on the host). */
  readonly checkout: string;
  /** Where the command starts. */
  readonly cwd: string;
  /** Arguments to `deno`. */
  readonly denoArgs: readonly string[];
  /** The `ESCOTERIA_STACK` hand-over, as JSON. */
  readonly stackJson: string;
  /** Whether the host shows the output on a terminal. */
  readonly terminal: boolean;
  /** The host terminal's size, when known. */
  readonly columns: number | null;
  readonly rows: number | null;
  readonly noColor: boolean;
  /** The `--out` file to send back, as a guest path. */
  readonly out: string | null;
  /** The `--pcap` folder whose files to send back, as a guest path. */
  readonly pcap: string | null;
  /** Seconds after which the guest powers itself off, run or not. */
  readonly deadlineSeconds: number | null;
}

/** The `run.env` text for `run`, sourced by `/init`. */
export function runEnv(run: GuestRun): string {
  const vars: [string, string][] = [
    ["ESCOTERIA_CHECKOUT", run.checkout],
    ["ESCOTERIA_CWD", run.cwd],
    ["ESCOTERIA_STACK_JSON", run.stackJson],
    ["ESCOTERIA_TERMINAL", run.terminal ? "1" : ""],
    ["ESCOTERIA_COLUMNS", run.columns === null ? "" : String(run.columns)],
    ["ESCOTERIA_ROWS", run.rows === null ? "" : String(run.rows)],
    ["ESCOTERIA_NO_COLOR", run.noColor ? "1" : ""],
    ["ESCOTERIA_OUT", run.out ?? ""],
    ["ESCOTERIA_PCAP", run.pcap ?? ""],
    [
      "ESCOTERIA_DEADLINE",
      run.deadlineSeconds === null ? "" : String(run.deadlineSeconds),
    ],
  ];
  return [
    "# This run's settings (escoteria's QEMU launcher).",
    ...vars.map(([k, v]) => `${k}=${shellQuote(v)}`),
    `set -- ${run.denoArgs.map(shellQuote).join(" ")}`,
    "",
  ].join("\n");
}

/** run-all's flags that take a value (the value is never a flag itself). */
const VALUE_FLAGS = new Set(["--only", "--trials", "--out", "--pcap"]);

/**
 * The `--out` and `--pcap` values in run-all's `args` (the last of each,
 * as run-all reads them; `--out=FILE` too), as given: the host resolves
 * them, and the guest, where paths mean the same, writes there.
 */
export function pathFlags(
  args: readonly string[],
): { out: string | null; pcap: string | null } {
  const found: { out: string | null; pcap: string | null } = {
    out: null,
    pcap: null,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") break;
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUE_FLAGS.has(flag)) continue;
    const value = flag === arg ? args[++i] : arg.slice(eq + 1);
    if (value === undefined) break;
    if (flag === "--out") found.out = value;
    if (flag === "--pcap") found.pcap = value;
  }
  return found;
}
