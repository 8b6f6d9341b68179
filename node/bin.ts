#!/usr/bin/env node
/** The `inpage` command (`npx inpage assets <dir>`); see `cli.ts`. */
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
