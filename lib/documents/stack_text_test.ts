import assert from "node:assert/strict";
import type { Platform } from "../results/format.ts";
import { stackDescription, stackName } from "./stack_text.ts";

const BASE: Platform = {
  id: "linux-x86_64-gvisor-20221219",
  os: "linux",
  osRelease: "4.4.0",
  arch: "x86_64",
  deno: "2.9.6",
  source: "run",
};

Deno.test("stackDescription() says whose TCP, which version, how it ran and what poll reports", async (t) => {
  const gvisor = {
    name: "gvisor",
    kind: "gvisor",
    version: "0.0~20221219.0",
    ran: "in runsc 0.0~20221219.0",
  } as const;
  const cases: [string, Platform, string | null][] = [
    ["no stack block", BASE, null],
    [
      "a stack, POLLRDHUP not probed",
      { ...BASE, stack: gvisor },
      "gvisor: gVisor 0.0~20221219.0, in runsc 0.0~20221219.0",
    ],
    [
      "a stack whose poll() has no POLLRDHUP",
      { ...BASE, stack: gvisor, pollRdhup: false },
      "gvisor: gVisor 0.0~20221219.0, in runsc 0.0~20221219.0; POLLRDHUP: no",
    ],
  ];
  for (const [name, p, expected] of cases) {
    await t.step(name, () => {
      assert.equal(stackDescription(p), expected);
      assert.equal(stackName(p), expected === null ? null : "gvisor");
    });
  }
});
