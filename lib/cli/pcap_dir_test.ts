import assert from "node:assert/strict";
import { article } from "../../experiments/article.ts";
import { teardown } from "../../experiments/teardown.ts";
import { UsageError } from "./flags.ts";
import { pcapFileName, preparePcapDir, writeTrialPcap } from "./pcap_dir.ts";
import { PCAP_HEADER_SIZE } from "../wire/pcap.ts";
import { expandCases } from "../engine/scenario.ts";

Deno.test("pcapFileName() turns a case id and trial number into a plain file name", () => {
  assert.equal(
    pcapFileName("article/linger=0,shutdown=wr", 1),
    "article__linger-0_shutdown-wr.1.pcap",
  );
  assert.equal(
    pcapFileName("teardown/actor=client,close=yes", 3),
    "teardown__actor-client_close-yes.3.pcap",
  );
});

Deno.test("pcapFileName() gives every case of every experiment its own name", () => {
  const ids = [...expandCases(article), ...expandCases(teardown)].map((c) =>
    c.id
  );
  const names = ids.map((id) => pcapFileName(id, 1));
  assert.equal(new Set(names).size, ids.length);
  for (const name of names) assert.match(name, /^[a-z0-9_.-]+$/);
});

Deno.test("preparePcapDir() creates a missing directory and accepts an existing one", () => {
  const dir = Deno.makeTempDirSync();
  try {
    preparePcapDir(`${dir}/pcaps`);
    preparePcapDir(`${dir}/pcaps`);
    assert.ok(Deno.statSync(`${dir}/pcaps`).isDirectory);
    const path = writeTrialPcap(`${dir}/pcaps`, "article/linger=0", 2, []);
    assert.equal(path, `${dir}/pcaps/article__linger-0.2.pcap`);
    assert.equal(Deno.statSync(path).size, PCAP_HEADER_SIZE);
    assert.deepEqual(
      [...Deno.readDirSync(`${dir}/pcaps`)].map((e) => e.name),
      ["article__linger-0.2.pcap"],
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("preparePcapDir() rejects a path under a missing parent or a file, in one line", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/file`, "");
    assert.throws(
      () => preparePcapDir(`${dir}/missing/pcaps`),
      (e) =>
        e instanceof UsageError &&
        /^cannot use --pcap .*: its parent does not exist$/.test(e.message),
    );
    assert.throws(
      () => preparePcapDir(`${dir}/file`),
      (e) => e instanceof UsageError && /: not a directory$/.test(e.message),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
