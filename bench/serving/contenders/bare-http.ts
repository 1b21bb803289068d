// Contender (b): the floor of HTTP + JSON on this machine. node:http parses the same V2 request and
// answers a same-shaped V2 response (probabilities of the right size), with no model at all.
import http from 'node:http';

const port = Number(process.argv[2]);
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const rows = body.inputs[0].shape[0];
    const out = JSON.stringify({
      model_name: 'm',
      model_version: '1',
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [rows], data: new Array(rows).fill(1) },
        { name: 'probabilities', datatype: 'FP32', shape: [rows, 2], data: new Array(rows * 2).fill(0.5) },
      ],
    });
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
