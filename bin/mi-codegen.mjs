#!/usr/bin/env node
// Runs the TypeScript entry point directly through tsx, so the CLI works right after `npm install`.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../codegen/cli.ts', import.meta.url).href);
