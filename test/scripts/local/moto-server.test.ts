/**
 * The moto_server launcher the tests and the benchmark use: a free port, readiness, reset and
 * stop, and plain errors when moto is not there.
 */
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { expect, it } from "vitest";
import { MotoServerNotInstalledError, startMoto } from "../../../scripts/local/moto-server.ts";
import { TEST_CREDENTIALS } from "../../helpers/emulator.ts";

it("starts on a free port, answers S3, forgets everything on reset and stops", async () => {
  // Prepare
  const moto = await startMoto();
  const s3 = new S3Client({
    endpoint: moto.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: TEST_CREDENTIALS,
  });

  try {
    // Act
    await s3.send(new CreateBucketCommand({ Bucket: "launcher-check" }));
    const before = await s3.send(new ListBucketsCommand({}));
    await moto.reset();
    const after = await s3.send(new ListBucketsCommand({}));

    // Assess
    expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`);
    expect(before.Buckets?.map((bucket) => bucket.Name)).toEqual(["launcher-check"]);
    expect(after.Buckets ?? []).toEqual([]);
  } finally {
    s3.destroy();
    await moto.stop();
    await moto.stop();
  }
  expect(() => process.kill(moto.pid, 0)).toThrow();
}, 60_000);

it("says how to install moto when the command does not exist", async () => {
  // Act
  const starting = startMoto({ command: "moto_server_that_does_not_exist" });

  // Assess
  await expect(starting).rejects.toBeInstanceOf(MotoServerNotInstalledError);
  await expect(starting).rejects.toThrow("pip install 'moto[server]'");
});

it("reports a command that exits during startup, with its output", async () => {
  // Act
  const starting = startMoto({ command: "/bin/false", startupTimeoutMs: 10_000 });

  // Assess
  await expect(starting).rejects.toThrow(/moto_server exited during startup \(code 1\)/);
});
