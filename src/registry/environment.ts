import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

export interface EnvironmentLineage {
  slipway: string;
  onnxruntime: string;
  node: string;
  platform: string;
  arch: string;
  cpus: number;
}

const require = createRequire(import.meta.url);

/** The versions that registered a model, for reproducing its load and its outputs later. */
export function describeEnvironment(): EnvironmentLineage {
  return {
    slipway: slipwayVersion(),
    onnxruntime: packageVersion('onnxruntime-node'),
    node: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    cpus: os.availableParallelism(),
  };
}

export function slipwayVersion(): string {
  // src/registry/ and dist/registry/ are both two levels below the package root.
  const file = new URL('../../package.json', import.meta.url);
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

function packageVersion(name: string): string {
  try {
    const main = require.resolve(name);
    const root = main.slice(0, main.lastIndexOf(`node_modules/${name}`) + `node_modules/${name}`.length);
    return JSON.parse(fs.readFileSync(`${root}/package.json`, 'utf8')).version;
  } catch {
    return 'unknown';
  }
}
