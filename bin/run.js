#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+ keeps the compiled code of the CLI and its dependencies on disk (the OS temp dir;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off): a later start skips most of the compiling. Node 20
// has no such cache and starts as before.
module.enableCompileCache?.();

const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
