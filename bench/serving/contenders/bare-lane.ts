// Diagnostic contender: slipway's fast lane (src/server/fast-lane) answering the same JSON with no
// model — the transport slipway's V2 route runs on, so (a) minus this is slipway's own work.
import { FastLaneServer } from '../../../src/server/fast-lane/fast-lane.js';

const port = Number(process.argv[2]);
const server = new FastLaneServer(
  (_req, res) => {
    res.statusCode = 404;
    res.end();
  },
  {
    maxHeaderSize: 16 * 1024,
    bodyLimit: 256 * 1024 * 1024,
    draining: () => false,
    takes: () => true,
    handle: (request, respond) => {
      const body = JSON.parse(request.body.toString('utf8'));
      const rows = body.inputs[0].shape[0];
      const out = JSON.stringify({
        model_name: 'm',
        model_version: '1',
        outputs: [
          { name: 'label', datatype: 'INT64', shape: [rows], data: new Array(rows).fill(1) },
          { name: 'probabilities', datatype: 'FP32', shape: [rows, 2], data: new Array(rows * 2).fill(0.5) },
        ],
      });
      respond(200, ['content-type: application/json'], out);
    },
  },
);
server.keepAliveTimeout = 72_000;
server.listen(port, '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
// cpu-usage: the runner asks for CPU time around each measured run: server CPU per request is the figure
// that stays steady on a shared machine.
process.on('message', (m) => {
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
