#!/usr/bin/env node
/**
 * Writes oclif.manifest.json for the built CLI (dist/): the command list with its flags, so a
 * start loads the one command it runs instead of importing every command module to find it (the
 * oclif convention for a published CLI; the file is not committed: bin/dev.js reads the sources).
 * Run by `npm run build:manifest` and `prepack`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const config = await Config.load({ root });
const { manifest } = config.rootPlugin;
writeFileSync(path.join(root, 'oclif.manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
process.stderr.write(`oclif.manifest.json: ${Object.keys(manifest.commands).length} commands\n`);
