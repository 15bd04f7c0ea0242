import assert from "node:assert/strict";
import { article } from "../../experiments/article.ts";
import { teardown } from "../../experiments/teardown.ts";
import { expandCases } from "../engine/scenario.ts";
import { PCAP_HEADER_SIZE } from "../wire/pcap.ts";
import { prepareOutputDir } from "./output.ts";
import { pcapFileName, writeTrialPcap } from "./pcap_dir.ts";

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

Deno.test("writeTrialPcap() writes a pcap file named after the case and trial", () => {
  const dir = Deno.makeTempDirSync();
  try {
    prepareOutputDir(`${dir}/pcaps`, "--pcap", { create: true });
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
