import assert from "node:assert/strict";
import {
  GUEST,
  type GuestRun,
  initScript,
  pathFlags,
  runEnv,
  shellQuote,
} from "./guest_init.ts";
import { which } from "./process.ts";

const RUN: GuestRun = {
  checkout: "/work/main",
  cwd: "/work/main/sub dir",
  denoArgs: ["run", "x.ts", "--only", "it's", "$HOME", "a\nb", ""],
  stackJson: '{"name":"linux-6.1","kind":"linux","ran":"in \'QEMU\'"}',
  terminal: true,
  columns: 120,
  rows: null,
  noColor: false,
  out: "/tmp/out.json",
  pcap: null,
  deadlineSeconds: 960,
};

async function sh(script: string): Promise<string> {
  const out = await new Deno.Command("sh", {
    args: ["-c", script],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "runEnv() gives sh the run's words unchanged",
  ignore: which("sh") === null,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "escoteria-guest-" });
    try {
      await Deno.writeTextFile(`${dir}/run.env`, runEnv(RUN));
      await t.step(
        "the arguments, quotes, $ and newlines included",
        async () => {
          const printed = await sh(
            `. '${dir}/run.env'; for a in "$@"; do printf '%s\\0' "$a"; done`,
          );
          assert.deepEqual(printed.split("\0").slice(0, -1), RUN.denoArgs);
        },
      );
      await t.step("the variables", async () => {
        const printed = await sh(
          `. '${dir}/run.env'; printf '%s|' "$ESCOTERIA_CWD" ` +
            `"$ESCOTERIA_STACK_JSON" "$ESCOTERIA_TERMINAL" ` +
            `"$ESCOTERIA_COLUMNS" "$ESCOTERIA_ROWS" "$ESCOTERIA_OUT" ` +
            `"$ESCOTERIA_PCAP" "$ESCOTERIA_DEADLINE"`,
        );
        assert.equal(
          printed,
          `${RUN.cwd}|${RUN.stackJson}|1|120||/tmp/out.json||960|`,
        );
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("shellQuote() quotes every word in single quotes", () => {
  assert.equal(shellQuote("plain"), "'plain'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(shellQuote(""), "''");
});

Deno.test("initScript() does the guest's steps in order", async (t) => {
  const script = initScript();
  await t.step("mounts, lo, modules, run, files back, power off", () => {
    const steps = [
      "mount -t proc",
      "mount -t sysfs",
      "mount -t devtmpfs",
      "serial_started",
      `. ${GUEST.runEnv}`,
      "stty -onlcr",
      "ip link set lo up",
      "insmod /lib/modules/escoteria/inet_diag.ko",
      "insmod /lib/modules/escoteria/tcp_diag.ko",
      "insmod /lib/modules/escoteria/veth.ko",
      `${GUEST.deno} "$@"`,
      "serial_file",
      'serial_done "$code"',
      "poweroff -f",
    ];
    let at = 0;
    for (const step of steps) {
      const found = script.indexOf(step, at);
      assert.ok(found >= 0, `${step} after offset ${at}`);
      at = found;
    }
  });
  await t.step({
    name: "sh -n finds no syntax error (busybox sh when installed)",
    ignore: which("sh") === null && which("busybox") === null,
    fn: async () => {
      const busybox = which("busybox");
      const out = await new Deno.Command(busybox ?? "sh", {
        args: [...(busybox === null ? [] : ["sh"]), "-n", "-c", script],
        stderr: "piped",
      }).output();
      assert.equal(new TextDecoder().decode(out.stderr), "");
      assert.equal(out.code, 0);
    },
  });
});

Deno.test("pathFlags() finds --out and --pcap as run-all reads them", async (t) => {
  const cases: [string[], string | null, string | null][] = [
    [[], null, null],
    [["--out", "a.json"], "a.json", null],
    [["--out=a.json", "--pcap=p"], "a.json", "p"],
    [["--out", "a", "--out", "b"], "b", null],
    [["--only", "--out", "--pcap", "d"], null, "d"],
    [["--trials", "3", "--pcap", "d", "--list"], null, "d"],
    [["--out"], null, null],
    [["--no-wire", "--out", "x=y.json"], "x=y.json", null],
  ];
  for (const [args, out, pcap] of cases) {
    await t.step(JSON.stringify(args), () => {
      assert.deepEqual(pathFlags(args), { out, pcap });
    });
  }
});
