import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import { openSlipway, type Slipway } from '../index.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** `slipway serve` and `slipway start` (serve, with the example model registered first). */
export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .alias('server')
    .description(
      'serve registered models (Open Inference Protocol V2, MLflow scoring) and the MLflow tracking API',
    )
    .option('--port <port>', 'TCP port', '8080')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--model <ref>',
      'serve only this model (repeatable; the first is the /invocations default)',
      collect,
      [],
    )
    .option('--workers <n>', 'inference worker threads (default: the number of cores)')
    .option('--timeout <ms>', 'per-request timeout in milliseconds', '30000')
    .option('--no-inference', 'serve no models: a tracking-only node (MLflow tracking API and registry)')
    .action(async (o, cmd: Command) => {
      const slipway = await openSlipway({ home: cmd.optsWithGlobals().home });
      await serveUntilSignal(slipway, o);
    });

  program
    .command('start')
    .description('bring the platform up on the embedded store, with the example model registered and served')
    .option('--port <port>', 'TCP port', process.env.PORT ?? '8080')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .action(async (o, cmd: Command) => {
      const slipway = await openSlipway({ home: cmd.optsWithGlobals().home });
      await registerExampleModel(slipway);
      await serveUntilSignal(slipway, { ...o, model: [], timeout: '30000' });
    });
}

interface ServeFlags {
  inference?: boolean;
  port: string;
  host: string;
  model: string[];
  workers?: string;
  timeout: string;
}

async function serveUntilSignal(slipway: Slipway, o: ServeFlags): Promise<void> {
  const token = process.env.SLIPWAY_TOKEN || null;
  if (!token && !LOOPBACK.has(o.host)) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `refusing to bind ${o.host} without authentication: set SLIPWAY_TOKEN, or bind 127.0.0.1`,
    );
  }
  // Loaded here, not at the top: every other command would otherwise pay for loading the server.
  const { startServer } = await import('../server/index.js');
  const server = await startServer(slipway, {
    port: parsePort(o.port),
    host: o.host,
    // --no-inference: an empty selection loads no model; every other API is still served.
    selection: o.inference === false ? [] : o.model.length > 0 ? o.model : null,
    workers: o.workers ? Number(o.workers) : undefined,
    requestTimeoutMs: Number(o.timeout),
    token,
    logger: { level: process.env.SLIPWAY_LOG_LEVEL ?? 'info' },
  });
  const names = server.repository.modelNames();
  process.stdout.write(
    `slipway ${server.version} serving ${names.length} model(s) at ${server.url}\n` +
      `  dashboard ${server.url}/\n` +
      names.map((n) => `  ${server.url}/v2/models/${n}/infer\n`).join('') +
      `  metrics ${server.url}/metrics · OpenAPI ${server.url}/openapi.json · data in ${slipway.config.home}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  // Stop accepting, let in-flight requests finish, then release models and the store.
  await server.close();
  await slipway.close();
}

/** The project's own example (examples/models/iris-classifier), registered once per home. */
async function registerExampleModel(slipway: Slipway): Promise<void> {
  const models = await slipway.registry.listModels({ nameContains: 'iris-classifier' });
  if (models.some((m) => m.name === 'iris-classifier')) return;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const dir = path.join(root, 'examples', 'models', 'iris-classifier');
  const v = await slipway.registry.register({
    name: 'iris-classifier',
    path: path.join(dir, 'model.onnx'),
    dataset: path.join(dir, 'train.csv'),
    target: 'species',
    aliases: ['champion'],
    description: 'logistic regression on iris (examples/make_models.py)',
    cwd: root,
  });
  process.stdout.write(`registered the example model iris-classifier version ${v.version}\n`);
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `invalid --port "${text}": expected 0 to 65535`);
  }
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
