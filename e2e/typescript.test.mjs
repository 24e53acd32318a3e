// The generated clients under TypeScript (the typescript package pinned in
// package.json, its native tsc): the hand-written apps in types/ type-check
// against the .d.ts files with tsc --strict, @ts-expect-error lines proving
// that wrong payloads are refused, and they use every member the .d.ts
// declares, so a new event or option fails here until an app uses it; the
// generated .js files are themselves clean under --allowJs --checkJs, as
// their // @ts-check promises.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot, requireServices } from "./harness.mjs";

const tsc = path.join(repoRoot, "e2e", "node_modules", ".bin", "tsc");
const skip = !existsSync(tsc) && !requireServices ? `${tsc} is missing (cd e2e && npm ci)` : false;

// Each app in types/ and the client it imports from gen/.
const apps = [
  { app: "richevents.ts", module: "richevents", from: "internal/codegen/testdata/richevents/richevents", golden: true },
  { app: "chat.ts", module: "chatevents", from: "examples/chat/chatevents/chatevents" },
  { app: "teamchat.ts", module: "teamevents", from: "examples/teamchat/teamevents/teamevents" },
];

// What the apps are checked with: the brief's settings, strict.
const flags = ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--lib", "es2022,dom"];

const read = (rel) => readFileSync(path.join(repoRoot, rel), "utf8");
const source = (a, ext) => read(a.from + ext + (a.golden ? ".golden" : ""));

/**
 * workspace is a temporary ES module directory holding the given files
 * (name -> text); removed when the test ends.
 */
function workspace(t, files) {
  const dir = mkdtempSync(path.join(tmpdir(), "eventwire-tsc-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, "package.json"), '{"type": "module"}\n');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** runTsc runs tsc in dir and resolves with its exit code and output. */
async function runTsc(dir, args) {
  try {
    const { stdout } = await promisify(execFile)(tsc, args, { cwd: dir });
    return { code: 0, output: stdout };
  } catch (err) {
    if (typeof err.code !== "number") throw err; // tsc did not run at all
    return { code: err.code, output: err.stdout + err.stderr };
  }
}

/**
 * declared lists what a .d.ts declares that its app must use: the members of
 * each client interface (on*, emit*, connection state) as ".name", each
 * option of ManagerOptions and ConnectOptions as "name:", and the connect
 * functions and manager as "name(".
 */
function declared(dts) {
  const uses = [];
  for (const [, name, body] of dts.matchAll(/^export interface (\w+)(?: extends \w+)? \{\n([\s\S]*?)^\}/gm)) {
    const members = [...body.matchAll(/^ {2}(?:readonly )?(\w+)\??[(:]/gm)].map((m) => m[1]);
    if (name.endsWith("Client")) uses.push(...members.map((m) => ({ what: `${name}.${m}`, pattern: new RegExp(`\\.${m}\\b`) })));
    if (name === "ManagerOptions" || name === "ConnectOptions") {
      uses.push(...members.map((m) => ({ what: `${name}.${m}`, pattern: new RegExp(`(^|[\\s{,])${m}\\b\\s*[:,\\n}]`, "m") })));
    }
  }
  for (const [, fn] of dts.matchAll(/^export declare function (connect\w*|manager)\(/gm)) {
    uses.push({ what: fn, pattern: new RegExp(`\\b${fn}\\(`) });
  }
  return uses;
}

test("each app uses every client member, connect function and option its .d.ts declares", { skip }, () => {
  for (const a of apps) {
    const app = read(`e2e/types/${a.app}`);
    const uses = declared(source(a, ".d.ts"));
    assert.ok(uses.some((u) => u.what.endsWith(".emitPing") || u.what.endsWith(".emitBrowserToMessage") || u.what.endsWith(".emitJoin")), `${a.module}.d.ts: no client members found`);
    const unused = uses.filter((u) => !u.pattern.test(app)).map((u) => u.what);
    assert.deepEqual(unused, [], `e2e/types/${a.app} does not use what ${a.module}.d.ts declares`);
  }
});

test("the apps type-check against the generated .d.ts with tsc --strict", { skip }, async (t) => {
  const files = {};
  for (const a of apps) {
    files[a.app] = read(`e2e/types/${a.app}`);
    files[`gen/${a.module}.d.ts`] = source(a, ".d.ts");
    files[`gen/${a.module}.js`] = source(a, ".js");
  }
  const dir = workspace(t, files);
  const { code, output } = await runTsc(dir, [...flags, ...apps.map((a) => a.app)]);
  assert.equal(code, 0, `tsc found errors:\n${output}`);
});

test("tsc refuses a wrong payload without @ts-expect-error: the check has teeth", { skip }, async (t) => {
  const a = apps[1];
  const dir = workspace(t, {
    "wrong.ts": 'import { connect } from "./gen/chatevents.js";\nawait connect("http://x").emitBrowserToMessage({ messageText: 42 });\n',
    [`gen/${a.module}.d.ts`]: source(a, ".d.ts"),
    [`gen/${a.module}.js`]: source(a, ".js"),
  });
  const { code, output } = await runTsc(dir, [...flags, "wrong.ts"]);
  assert.notEqual(code, 0);
  assert.match(output, /wrong\.ts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
});

test("the generated .js files are clean under tsc --strict --allowJs --checkJs", { skip }, async (t) => {
  // Without their .d.ts beside them, so that tsc reads the JSDoc types.
  const files = Object.fromEntries(apps.map((a) => [`${a.module}.js`, source(a, ".js")]));
  const dir = workspace(t, files);
  const { code, output } = await runTsc(dir, [...flags, "--allowJs", "--checkJs", ...Object.keys(files)]);
  assert.equal(code, 0, `tsc found errors in the generated JavaScript:\n${output}`);
  assert.ok(apps.every((a) => source(a, ".js").includes("// @ts-check")), "a client lacks // @ts-check");
});
