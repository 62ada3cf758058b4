#!/usr/bin/env node
/**
 * The app command of `cdktf synth` (cdktf.json) and of `npm run synth`:
 * tooling/build-if-changed.js, then the compiled app, in one Node.js process.
 * `node tooling/build-if-changed.js && node dist/main.js` started two, and a
 * Node.js start is a noticeable part of a warm synth.
 *
 * build-if-changed.js runs when it is loaded and leaves its result in
 * process.exitCode: 0 when dist/ is up to date or the build succeeded, the
 * build's exit status otherwise (then the app does not run).
 *
 * Plain JavaScript, not TypeScript: it runs before anything is compiled.
 */
require("./build-if-changed");
if (process.exitCode === 0) require("../dist/main.js");
