#!/usr/bin/env node
// Runs the TypeScript entry point directly through tsx, so the CLI works right after `npm install`.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../examples/device-cli.ts', import.meta.url).href);
