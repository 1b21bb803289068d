// Contender (c): the usual first server — onnxruntime called inline in the request handler, one
// session.run per request, no batching (node:http, the same JSON in and out).
import http from 'node:http';
import ort from 'onnxruntime-node';

const [port, modelPath] = [Number(process.argv[2]), process.argv[3]];
const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const input = body.inputs[0];
    const tensor = new ort.Tensor('float32', Float32Array.from(input.data.flat()), input.shape);
    const result = await session.run({ [input.name]: tensor });
    const outputs = Object.entries(result).map(([name, t]) => ({
      name,
      datatype: t.type === 'int64' ? 'INT64' : 'FP32',
      shape: t.dims,
      data: Array.from(t.data as ArrayLike<number | bigint>, Number),
    }));
    const out = JSON.stringify({ model_name: 'm', model_version: '1', outputs });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(port, '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// cpu-usage: the runner asks for CPU time around each measured run: server CPU per request is the figure
// that stays steady on a shared machine.
process.on('message', (m) => {
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
