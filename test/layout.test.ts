/**
 * The folders show the architecture, and this keeps them honest (README, "Architecture"):
 * - functions/  Lambda entry points: wiring only, over shared/;
 * - shared/     only what the functions run: it imports nothing from functions/, scripts/,
 *               resources/ or test/, and no development dependency (the bundles would lack it);
 * - resources/  infrastructure: itself and shared/ (osls packages it without scripts/);
 * - scripts/    what runs on a person's machine: anything but test/.
 * Imports are read with TypeScript's own pre-processor, dynamic `import()` included, and module
 * URLs built for a dynamic import.
 */
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import packageJson from "../package.json" with { type: "json" };

const ROOT = resolve(import.meta.dirname, "..");
type Folder = "functions" | "shared" | "resources" | "scripts" | "test";

interface Import {
  readonly from: string;
  readonly specifier: string;
  /** Repository folder of a relative import; undefined for a package. */
  readonly folder?: string;
  readonly packageName?: string;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((path) => /\.(ts|cjs)$/.test(path) && !path.includes("node_modules"))
    .map((path) => join(folder, path));
}

/**
 * Module URLs built at run time, `new URL("../../functions/${name}/handler.ts", import.meta.url)`
 * (the local stack loads one handler instance per poller that way): the static start of the
 * path names the folder, which is all the rules need.
 */
const MODULE_URL = /new URL\(\s*["'`](\.{1,2}\/[^"'`$]*)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const info = ts.preProcessFile(text, true, true);
  const specifiers = [
    ...info.importedFiles.map(({ fileName }) => fileName),
    ...[...text.matchAll(MODULE_URL)].flatMap((match) => (match[1] ? [match[1]] : [])),
  ];
  return specifiers.map((specifier) => {
    if (specifier.startsWith(".")) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
      return { from: file, specifier, folder: target.split(/[\\/]/)[0] };
    }
    const parts = specifier.replace(/^node:/, "").split("/");
    const packageName = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
    return { from: file, specifier, packageName };
  });
}

const runtimePackages = new Set(Object.keys(packageJson.dependencies));
const isBuiltin = (name: string | undefined) => name !== undefined && builtinModules.includes(name);
// Types only: erased from the bundles.
const typeOnlyPackages = new Set(["aws-lambda"]);

function violations(
  folder: Folder,
  allowedFolders: readonly string[],
  packages: "runtime" | "any",
) {
  return sourceFiles(folder).flatMap((file) =>
    importsOf(file).filter((entry) => {
      if (entry.folder !== undefined) return !allowedFolders.includes(entry.folder);
      if (packages === "any" || isBuiltin(entry.packageName)) return false;
      const name = entry.packageName ?? "";
      return !runtimePackages.has(name) && !typeOnlyPackages.has(name);
    }),
  );
}

describe("the import rules of the layout", () => {
  it("shared/ imports only shared/ and the runtime dependencies", () => {
    expect(violations("shared", ["shared"], "runtime")).toEqual([]);
  });

  it("functions/ import only shared/ and the runtime dependencies", () => {
    expect(violations("functions", ["shared"], "runtime")).toEqual([]);
  });

  it("resources/ import only resources/ and shared/", () => {
    expect(violations("resources", ["resources", "shared"], "any")).toEqual([]);
  });

  it("scripts/ never import tests", () => {
    // package.json: the command's --version.
    const allowed = ["scripts", "shared", "resources", "functions", "package.json"];
    expect(violations("scripts", allowed, "any")).toEqual([]);
  });

  it("catches a violation (the check itself can fail)", () => {
    const imports = importsOf("scripts/local/stack.ts");
    expect(imports.some((entry) => entry.folder === "functions")).toBe(true);
    expect(violations("scripts", ["scripts"], "any").length).toBeGreaterThan(0);
  });
});
