import assert from "node:assert/strict";
import {
  type Kernel,
  missingModules,
  MODULE_PATHS,
  parseCandidate,
  parseKernelDepends,
  readKernel,
} from "./debian_kernel.ts";
import { GUEST } from "./guest_init.ts";

Deno.test("MODULE_PATHS names where each module /init loads sits in the package", () => {
  assert.deepEqual(Object.keys(MODULE_PATHS), [...GUEST.modules]);
  for (const [module, path] of Object.entries(MODULE_PATHS)) {
    assert.ok(path.endsWith(`/${module}`), path);
    assert.ok(!path.startsWith("/") && !path.includes(".."), path);
  }
  assert.equal(MODULE_PATHS["veth.ko"], "drivers/net/veth.ko");
});

Deno.test("parseKernelDepends() and parseCandidate() read apt-cache's output", () => {
  assert.equal(
    parseKernelDepends(
      "linux-image-cloud-amd64\n" +
        "  Depends: linux-image-6.1.0-57-cloud-amd64\n" +
        "  Depends: <linux-image-6.1.0-57-cloud-amd64-unsigned>\n",
    ),
    "linux-image-6.1.0-57-cloud-amd64",
  );
  assert.equal(parseKernelDepends("linux-image-cloud-amd64\n"), null);
  assert.equal(
    parseCandidate("  Installed: (none)\n  Candidate: 6.1.192-3\n"),
    "6.1.192-3",
  );
  assert.equal(parseCandidate("  Candidate: (none)\n"), null);
});

Deno.test("missingModules() finds a cached kernel that lacks a module /init loads", async (t) => {
  const dir = Deno.makeTempDirSync({ prefix: "escoteria-kernel-" });
  const cache = (modules: readonly string[]) => {
    Deno.writeTextFileSync(
      `${dir}/kernel.json`,
      JSON.stringify({
        packageName: "linux-image-6.1.0-57-cloud-amd64",
        version: "6.1.192-3",
        release: "6.1.0-57-cloud-amd64",
        modules,
      }),
    );
    for (const m of modules) Deno.writeTextFileSync(`${dir}/${m}`, "");
    return readKernel(dir) as Kernel;
  };
  try {
    await t.step("a folder cached before veth.ko was added lacks it", () => {
      const kernel = cache(["inet_diag.ko", "tcp_diag.ko"]);
      assert.equal(kernel.vmlinuz, `${dir}/vmlinuz`);
      assert.deepEqual(missingModules(kernel), ["veth.ko"]);
    });
    await t.step("a folder with every module lacks none", () => {
      assert.deepEqual(missingModules(cache(GUEST.modules)), []);
    });
    await t.step("a module listed but whose file is gone is missing", () => {
      const kernel = cache(GUEST.modules);
      Deno.removeSync(`${dir}/tcp_diag.ko`);
      assert.deepEqual(missingModules(kernel), ["tcp_diag.ko"]);
    });
    await t.step("a folder without kernel.json is no kernel", () => {
      Deno.removeSync(`${dir}/kernel.json`);
      assert.equal(readKernel(dir), null);
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
