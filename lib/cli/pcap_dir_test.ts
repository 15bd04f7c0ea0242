import assert from "node:assert/strict";
import { article } from "../../experiments/article.ts";
import { teardown } from "../../experiments/teardown.ts";
import { expandCases } from "../engine/scenario.ts";
import { PCAP_HEADER_SIZE } from "../wire/pcap.ts";
import { prepareOutputDir } from "./output.ts";
import { pcapFileName, writeTrialPcap } from "./pcap_dir.ts";

Deno.test("pcapFileName() is the case id and trial number, as documented", () => {
  assert.equal(
    pcapFileName("article/linger=0,shutdown=wr", 1),
    "article/linger=0,shutdown=wr.1.pcap",
  );
  assert.equal(
    pcapFileName("teardown/actor=client,close=yes", 3),
    "teardown/actor=client,close=yes.3.pcap",
  );
  assert.throws(() => pcapFileName("../x/a=1", 1), RangeError);
  assert.throws(() => pcapFileName("noslash", 1), RangeError);
});

Deno.test("pcapFileName() gives every case of every experiment its own name", () => {
  const ids = [...expandCases(article), ...expandCases(teardown)].map((c) =>
    c.id
  );
  const names = ids.map((id) => pcapFileName(id, 1));
  assert.equal(new Set(names).size, ids.length);
  for (const name of names) {
    assert.match(name, /^[a-z]+\/[a-z0-9_=,]+\.1\.pcap$/);
  }
});

Deno.test("writeTrialPcap() writes a pcap file named after the case and trial", () => {
  const dir = Deno.makeTempDirSync();
  try {
    prepareOutputDir(`${dir}/pcaps`, "--pcap");
    const path = writeTrialPcap(`${dir}/pcaps`, "article/linger=0", 2, []);
    assert.equal(path, `${dir}/pcaps/article/linger=0.2.pcap`);
    assert.equal(Deno.statSync(path).size, PCAP_HEADER_SIZE);
    assert.deepEqual(
      [...Deno.readDirSync(`${dir}/pcaps/article`)].map((e) => e.name),
      ["linger=0.2.pcap"],
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
