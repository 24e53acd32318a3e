// patterns.mjs compiles each case's JavaScript pattern with RegExp and the u
// flag, as the generated client does, and tests it on the case's samples.
//
//   node patterns.mjs cases.json
// cases.json: [{"js": "^[^\\n]+$", "samples": ["a", "\n"]}]
// prints [{"matches": "10"} | {"error": "..."}], one per case.
import { readFileSync } from "node:fs";

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = cases.map(({ js, samples }) => {
  let re;
  try {
    re = new RegExp(js, "u");
  } catch (err) {
    return { error: String(err.message) };
  }
  return { matches: samples.map((s) => (re.test(s) ? "1" : "0")).join("") };
});
process.stdout.write(JSON.stringify(results));
