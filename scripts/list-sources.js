#!/usr/bin/env node
// Prints the .cc files under the given directories (recursively) for binding.gyp,
// so adding a source file never means editing the build description.
'use strict';
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const out = [];
function walk(rel) {
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs)) return;
  for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = path.posix.join(rel, e.name);
    if (e.isDirectory()) walk(r);
    else if (e.name.endsWith('.cc')) out.push(r);
  }
}
for (const d of process.argv.slice(2)) walk(d);
process.stdout.write(out.join(' '));
