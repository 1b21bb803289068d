/**
 * A second process for `sqlite-registry-store.test.ts`: opens the home given on the command line
 * and registers versions of one model as fast as it can, beside another process doing the same.
 * Prints one JSON line: how many inserts succeeded and the errors of those that did not.
 */
import { openSlipway } from '../../src/index.js';

const [home, model, writer, countText] = process.argv.slice(2);
const slipway = await openSlipway({ home });
const errors: string[] = [];
let ok = 0;
for (let i = 0; i < Number(countText); i++) {
  try {
    await slipway.registryStore.insertVersion({
      modelName: model,
      createModel: true,
      description: null,
      createdAt: Date.now(),
      modelSha256: null,
      manifestSha256: 'a'.repeat(64),
      sourceFormat: 'onnx',
      sourcePath: null,
      status: 'READY',
      statusMessage: null,
      signature: { inputs: [], outputs: [] },
      lineage: {},
      metadata: {},
      runId: null,
      tags: { writer },
      datasets: [],
      aliases: ['latest'],
    });
    ok++;
  } catch (err) {
    errors.push(
      err instanceof Error ? `${(err as { code?: string }).code ?? ''} ${err.message}` : String(err),
    );
  }
}
await slipway.close();
process.stdout.write(`${JSON.stringify({ ok, errors: errors.slice(0, 5), failed: errors.length })}\n`);
