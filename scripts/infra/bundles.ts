/**
 * The deployable function bundles: unpacking the zips `npm run package` writes, so that tests
 * and the benchmark run exactly what Lambda would run.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import yauzl from "yauzl";

/** Unpacks `<packageDir>/<functionName>.zip` into `target`; returns the handler module's path. */
export async function unpackFunction(
  packageDir: string,
  functionName: string,
  target: string,
): Promise<string> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(join(packageDir, `${functionName}.zip`), { lazyEntries: true }, (error, file) =>
      error ? reject(error) : resolve(file),
    ),
  );
  await new Promise<void>((resolve, reject) => {
    zip.on("entry", (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith("/")) return zip.readEntry();
      zip.openReadStream(entry, async (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        const path = join(target, entry.fileName);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, Buffer.concat(chunks));
        zip.readEntry();
      });
    });
    zip.on("end", resolve);
    zip.on("error", reject);
    zip.readEntry();
  });
  return join(target, "functions", functionName, "handler.mjs");
}
