#!/usr/bin/env node
/**
 * The `attestkit` executable: runs {@link runCli} on the process arguments.
 *
 * @module
 */
import { runCli } from './main.ts';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`attestkit: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
