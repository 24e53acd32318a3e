// validate.mjs runs the generated client's validators on payloads and prints
// the details, so the Go test can compare them with what the runtime reports.
//
//   node validate.mjs ./richevents.js cases.json
// cases.json: [{"fn": "validateChat", "payload": ...}], or with "args": true the payload is the
// array of an event's positional arguments; prints [[Detail...]...].
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const mod = await import(pathToFileURL(resolve(process.argv[2])).href);
const cases = JSON.parse(readFileSync(process.argv[3], "utf8"));
const results = cases.map((c) => {
  if (typeof mod[c.fn] !== "function") {
    throw new Error(`the module exports no ${c.fn}`);
  }
  return c.args ? mod[c.fn](...c.payload) : mod[c.fn](c.payload);
});
process.stdout.write(JSON.stringify(results));
