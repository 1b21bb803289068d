import type { FastifyInstance } from 'fastify';
import type { GateReport } from '../../index.js';
import { normaliseError } from '../error-mapping.js';
import type { ServingContext } from '../serving-context.js';
import {
  type Body,
  bodyOf,
  configJson,
  gateConfig,
  gateJson,
  margins,
  optionalString,
  positiveInt,
  requiredNumber,
  requiredString,
  revisionJson,
  rolloutJson,
  statusJson,
  webhooks,
} from './deployments-json.js';

interface NameParams {
  name: string;
}

/**
 * The deployments API under /api/v1/deployments: a translation of `slipway.deployments` calls,
 * like the `slipway deploy` commands. Every change is recorded with this server's identity as who,
 * and answers once the new revision is in force on this server (other replicas follow within their
 * poll interval). Errors are the native `{code, message, details}`; a failed gate's report is in
 * `details.report`.
 */
export async function deploymentsPlugin(app: FastifyInstance, ctx: ServingContext): Promise<void> {
  app.setErrorHandler((err, request, reply) => {
    const { error, status } = normaliseError(err, request);
    reply.code(status).send({ code: error.code, message: error.message, details: error.details ?? {} });
  });
  const deployments = ctx.slipway.deployments;
  const tags = ['slipway deployments'];
  const who = (body: Body) => ({ actor: ctx.identity, message: optionalString(body, 'message') });

  app.get(
    '/api/v1/deployments',
    { schema: { tags, summary: 'Deployments and their live revisions' } },
    async () => ({
      deployments: (await deployments.list()).map((d) => ({
        name: d.name,
        live_revision: d.liveRevision,
        description: d.description,
        updated_at: d.updatedAt,
        rollout: d.rollout,
      })),
    }),
  );

  app.post<{ Body: Body }>(
    '/api/v1/deployments',
    { schema: { tags, summary: 'Create a deployment: {name, model, message?, gates?, webhooks?}' } },
    async (request, reply) => {
      const body = bodyOf(request.body);
      const revision = await deployments.create(requiredString(body, 'name'), {
        ...who(body),
        model: requiredString(body, 'model'),
        gates: body.gates === undefined ? null : gateConfig(body.gates),
        webhooks: body.webhooks === undefined ? [] : webhooks(body.webhooks),
      });
      return reply.code(201).send(revisionJson(revision));
    },
  );

  app.get<{ Params: NameParams }>(
    '/api/v1/deployments/:name',
    {
      schema: {
        tags,
        summary: 'Status: the live revision and, per target, traffic, errors, latency, quality',
      },
    },
    async (request) => statusJson(await deployments.status(request.params.name)),
  );

  app.delete<{ Params: NameParams }>(
    '/api/v1/deployments/:name',
    { schema: { tags, summary: 'Delete a deployment with its history' } },
    async (request, reply) => {
      await deployments.delete(request.params.name);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: NameParams }>(
    '/api/v1/deployments/:name/revisions',
    { schema: { tags, summary: 'Every revision: who, when, what, why' } },
    async (request) => ({ revisions: (await deployments.history(request.params.name)).map(revisionJson) }),
  );

  app.get<{ Params: NameParams & { revision: string } }>(
    '/api/v1/deployments/:name/revisions/:revision',
    { schema: { tags, summary: 'One revision' } },
    async (request) =>
      revisionJson(
        await deployments.revision(request.params.name, positiveInt(request.params.revision, 'revision')),
      ),
  );

  app.post<{ Params: NameParams; Body: Body }>(
    '/api/v1/deployments/:name/canary',
    {
      schema: { tags, summary: 'Send a share of traffic to a candidate: {model, weight, message?, force?}' },
    },
    async (request) => {
      const body = bodyOf(request.body);
      return revisionJson(
        await deployments.canary(request.params.name, {
          ...who(body),
          model: requiredString(body, 'model'),
          weight: requiredNumber(body, 'weight'),
          force: body.force === true,
        }),
      );
    },
  );

  app.post<{ Params: NameParams; Body: Body }>(
    '/api/v1/deployments/:name/shadow',
    { schema: { tags, summary: 'Copy every request to a shadow model: {model, message?}' } },
    async (request) => {
      const body = bodyOf(request.body);
      return revisionJson(
        await deployments.shadow(request.params.name, { ...who(body), model: requiredString(body, 'model') }),
      );
    },
  );

  app.post<{ Params: NameParams; Body: Body }>(
    '/api/v1/deployments/:name/ab',
    {
      schema: {
        tags,
        summary: 'Sticky A/B split: {model, key_header | key_field, weight? (default 50), message?, force?}',
      },
    },
    async (request) => {
      const body = bodyOf(request.body);
      return revisionJson(
        await deployments.ab(request.params.name, {
          ...who(body),
          model: requiredString(body, 'model'),
          weight: body.weight === undefined ? 50 : requiredNumber(body, 'weight'),
          keyHeader: optionalString(body, 'key_header'),
          keyField: optionalString(body, 'key_field'),
          force: body.force === true,
        }),
      );
    },
  );

  app.post<{ Params: NameParams; Body: Body }>(
    '/api/v1/deployments/:name/promote',
    {
      schema: {
        tags,
        summary:
          'Promote the candidate after its gates pass (409 DEPLOYMENTS_GATE_FAILED with the report otherwise)',
      },
    },
    async (request) => {
      const body = bodyOf(request.body);
      const { revision, gates } = await deployments.promote(request.params.name, {
        ...who(body),
        force: body.force === true,
      });
      return { revision: revisionJson(revision), gates: gates ? gateJson(gates) : null };
    },
  );

  app.post<{ Params: NameParams; Body: Body }>(
    '/api/v1/deployments/:name/rollback',
    { schema: { tags, summary: 'Back to an earlier revision: {to?, message?}' } },
    async (request) => {
      const body = bodyOf(request.body);
      return revisionJson(
        await deployments.rollback(request.params.name, {
          ...who(body),
          to: body.to === undefined || body.to === null ? undefined : positiveInt(body.to, 'to'),
        }),
      );
    },
  );

  app.put<{ Params: NameParams; Body: Body }>(
    '/api/v1/deployments/:name/config',
    { schema: { tags, summary: 'Promotion gates and alert webhooks: {gates?, webhooks?}' } },
    async (request) => {
      const body = bodyOf(request.body);
      const dep = await deployments.configure(request.params.name, {
        gates: body.gates === undefined ? undefined : body.gates === null ? null : gateConfig(body.gates),
        webhooks: body.webhooks === undefined ? undefined : webhooks(body.webhooks),
      });
      return configJson(dep.config);
    },
  );

  app.get<{ Params: NameParams }>(
    '/api/v1/deployments/:name/rollouts',
    { schema: { tags, summary: 'Rollouts of the deployment, oldest first' } },
    async (request) => ({ rollouts: (await deployments.rollouts(request.params.name)).map(rolloutJson) }),
  );

  app.post<{ Params: NameParams; Body: Body }>(
    '/api/v1/deployments/:name/rollouts',
    {
      schema: {
        tags,
        summary:
          'Start an automatic rollout: {model, steps: "5,25,50,100", hold: "10m|2000req", margins?, force?}',
      },
    },
    async (request, reply) => {
      const body = bodyOf(request.body);
      const { rollout, revision, gates } = await deployments.rollout(request.params.name, {
        ...who(body),
        model: requiredString(body, 'model'),
        steps: Array.isArray(body.steps) ? body.steps.map(Number) : requiredString(body, 'steps'),
        hold: requiredString(body, 'hold'),
        margins: body.margins === undefined ? undefined : margins(body.margins),
        force: body.force === true,
      });
      return reply.code(201).send({
        rollout: rolloutJson(rollout),
        revision: revisionJson(revision),
        gates: gates ? gateJson(gates) : null,
      });
    },
  );

  app.post<{ Params: NameParams; Body: Body }>(
    '/api/v1/deployments/:name/rollouts/abort',
    { schema: { tags, summary: 'Abort the running rollout and return to the revision before it' } },
    async (request) =>
      rolloutJson(await deployments.abortRollout(request.params.name, who(bodyOf(request.body)))),
  );

  app.get<{ Params: NameParams; Querystring: { limit?: string } }>(
    '/api/v1/deployments/:name/shadow-log',
    { schema: { tags, summary: 'Newest shadow comparisons: outputs, latency, agreement' } },
    async (request) => {
      const limit = Math.min(1000, Math.max(1, Number(request.query.limit ?? 100) || 100));
      const rows = await deployments.shadowLog(request.params.name, limit);
      return {
        shadow_log: rows.map((r) => ({
          request_id: r.requestId,
          revision: r.revision,
          at: r.at,
          primary: { model: r.primaryModel, version: r.primaryVersion, ms: r.primaryMs },
          shadow: { model: r.shadowModel, version: r.shadowVersion, ms: r.shadowMs },
          agree: r.agree,
          max_delta: r.maxDelta,
          outputs: r.outputs,
          error: r.error,
        })),
      };
    },
  );

  app.get<{ Params: NameParams }>(
    '/api/v1/deployments/:name/gates',
    { schema: { tags, summary: 'Every promotion-gate run of the deployment, with its report' } },
    async (request) => ({
      gate_results: (await deployments.gateResults(request.params.name)).map((g) => ({
        id: g.id,
        model: g.model,
        version: g.version,
        at: g.at,
        passed: g.passed,
        report: gateJson(g.report as unknown as GateReport),
      })),
    }),
  );

  app.post<{ Body: Body }>(
    '/api/v1/evaluations',
    {
      schema: {
        tags,
        summary: 'Evaluate a model version on a labelled CSV on this server: {model, dataset, target}',
      },
    },
    async (request, reply) => {
      const body = bodyOf(request.body);
      const e = await deployments.evaluate(requiredString(body, 'model'), {
        dataset: requiredString(body, 'dataset'),
        target: requiredString(body, 'target'),
      });
      return reply.code(201).send({
        id: e.id,
        model: e.model,
        version: e.version,
        dataset: { path: e.datasetPath, sha256: e.datasetSha256, rows: e.rows, target: e.target },
        task: e.task,
        metrics: e.metrics,
        at: e.at,
      });
    },
  );
}
