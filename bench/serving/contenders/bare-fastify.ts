// Diagnostic contender: fastify answering the same JSON with no model (how much the framework costs).
import Fastify from 'fastify';

const port = Number(process.argv[2]);
const app = Fastify({ logger: false });
app.post('/v2/models/:name/infer', async (request) => {
  const body = request.body as { inputs: { shape: number[] }[] };
  const rows = body.inputs[0].shape[0];
  return {
    model_name: 'm',
    model_version: '1',
    outputs: [
      { name: 'label', datatype: 'INT64', shape: [rows], data: new Array(rows).fill(1) },
      { name: 'probabilities', datatype: 'FP32', shape: [rows, 2], data: new Array(rows * 2).fill(0.5) },
    ],
  };
});
await app.listen({ port, host: '127.0.0.1' });
process.send?.('ready');
process.on('SIGTERM', async () => {
  await app.close();
  process.exit(0);
});
// cpu-usage: the runner asks for CPU time around each measured run: server CPU per request is the figure
// that stays steady on a shared machine.
process.on('message', (m) => {
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
