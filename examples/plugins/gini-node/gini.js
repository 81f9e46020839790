#!/usr/bin/env node
// reportd external plugin `gini`: the Gini coefficient of a column's values per group (see
// README.md beside this file and PLUGINS.md). Node.js standard library only; protocol 1.
//
// G = Σ_i (2i − n − 1) · x_(i) / (n · Σ x), over the group's non-null values sorted ascending
// (x_(1) ≤ … ≤ x_(n), i from 1). 0: everyone has the same; near 1: one has everything. Null when
// the group has no value, a negative value, or a sum of 0.
//
// Numbers: JSON.parse reads every number as a double, so ints beyond 2^53 (9,007,199,254,740,992)
// are rounded. A ratio like Gini does not mind; a plugin that must add up exact 64-bit ints needs
// a parser that keeps them (or BigInt on the raw text).
"use strict";
const readline = require("readline");

const HELLO = {
  type: "hello",
  protocol: 1,
  plugin: { name: "gini", version: "1.0.0" },
  calculators: [
    {
      name: "gini",
      summary: "Gini coefficient of a column's values (0 = all equal, near 1 = one has everything)",
      result: "decimal",
      parameters: [
        { name: "column", kind: "column", types: ["int", "decimal"], required: true, summary: "the amounts" },
      ],
    },
  ],
};

function gini(values, rows) {
  const xs = [];
  for (const r of rows) {
    const v = values[r];
    if (v === null) continue;
    if (v < 0) return null;
    xs.push(v);
  }
  const n = xs.length;
  if (n === 0) return null;
  xs.sort((a, b) => a - b);
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    total += xs[i];
    weighted += (2 * (i + 1) - n - 1) * xs[i];
  }
  return total === 0 ? null : weighted / (n * total);
}

function answer(msg) {
  if (msg.type === "hello") return HELLO;
  if (msg.type !== "compute") return { type: "error", id: msg.id, message: `unknown message type '${msg.type}'` };
  const column = msg.columns[msg.parameters.column];
  if (!column) return { type: "error", id: msg.id, message: "parameter 'column' is missing" };
  return { type: "result", id: msg.id, values: msg.groups.map((g) => gini(column.values, g.rows)) };
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  let reply;
  try {
    reply = answer(JSON.parse(line));
  } catch (e) {
    // Diagnostics go to standard error (reportd logs them); the answer says what failed.
    console.error(`gini: ${e.stack || e}`);
    reply = { type: "error", id: 1, message: String(e.message || e) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
