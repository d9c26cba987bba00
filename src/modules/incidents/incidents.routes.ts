/** Incidents over HTTP: thin: parse, call the service, present. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../core/context.js';
import { commaList } from '../../core/cursor.js';
import { shieldwallError } from '../../core/errors.js';
import { INCIDENT_STATUSES, type IncidentStatus } from './incidents.model.js';
import { reportHtml, reportModel, reportPdf } from './incidents.report.js';
import {
  ExportQuery, IdParams, IncidentSchema, LinkBody, LinkParams, ListAnswer, ListQuery, PatchBody, PreviewBody, ReportBody, ScoreAnswer, SeverityBody, StatusBody,
  TaskBody, TaskParams, TaskPatchBody, TimelineBody,
} from './incidents.schema.js';
import { scoringCatalogue, previewScore } from './incidents.scoring.view.js';
import * as service from './incidents.service.js';

/** The report is a document of its own: inline style only, nothing else. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const listOf = commaList;

function statusesOf(value: string | undefined): IncidentStatus[] | undefined {
  const items = listOf(value);
  if (!items) return undefined;
  for (const item of items) {
    if (!(INCIDENT_STATUSES as readonly string[]).includes(item)) {
      throw shieldwallError('BAD_REQUEST', `status '${item}' is not one of ${INCIDENT_STATUSES.join(', ')}`, [{ path: 'querystring.status', message: 'unknown status' }]);
    }
  }
  return items as IncidentStatus[];
}

function levelsOf(value: string | undefined): number[] | undefined {
  const items = listOf(value);
  if (!items) return undefined;
  return items.map((item) => {
    if (!/^[0-5]$/.test(item)) throw shieldwallError('BAD_REQUEST', `level '${item}' is not a severity level: use 0 to 5`, [{ path: 'querystring.level', message: 'not a level' }]);
    return Number(item);
  });
}

function membersOf(value: string | undefined): string[] | undefined {
  const items = listOf(value);
  if (items && items.length > 50) throw shieldwallError('BAD_REQUEST', 'filter on at most 50 members at once', [{ path: 'querystring.member', message: 'too many' }]);
  return items;
}

export function incidentsRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const read = { permission: 'incidents:read' };
    const write = { permission: 'incidents:write' };
    const answers = { 200: IncidentSchema };

    app.get('/api/v1/incidents', { config: read, schema: { summary: 'The incidents board: incidents you may read, newest change first', querystring: ListQuery, response: { 200: ListAnswer } } }, async (request) => {
      const q = request.query;
      return service.listIncidents(ctx, request.actor, {
        ...(statusesOf(q.status) ? { status: statusesOf(q.status)! } : {}),
        ...(levelsOf(q.level) ? { level: levelsOf(q.level)! } : {}),
        ...(membersOf(q.member) ? { member: membersOf(q.member)! } : {}),
        ...(q.sector !== undefined ? { sector: q.sector } : {}),
        ...(q.significant !== undefined ? { significant: q.significant } : {}),
        ...(q.q !== undefined && q.q.trim() !== '' ? { q: q.q.trim() } : {}),
        ...(q.limit !== undefined ? { limit: q.limit } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      });
    });

    app.get('/api/v1/incidents/scoring', { config: read, schema: { summary: 'The severity scoring scheme: categories with their options, weights, levels' } }, async () => scoringCatalogue(ctx));

    app.post('/api/v1/incidents/scoring/preview', { config: read, schema: { summary: 'Score a set of selections without storing anything (the calculator)', body: PreviewBody, response: { 200: ScoreAnswer } } }, async (request) =>
      previewScore(ctx, request.body.selections),
    );

    app.post('/api/v1/incidents', { config: write, schema: { summary: 'Report an incident in your member\'s name', body: ReportBody, response: { 201: IncidentSchema } } }, async (request, reply) => {
      const incident = await service.reportIncident(ctx, request.actor, request.body);
      return reply.status(201).header('location', `/api/v1/incidents/${incident.id}`).send(incident);
    });

    app.get('/api/v1/incidents/:id', { config: read, schema: { summary: 'One incident', params: IdParams, response: answers } }, async (request) => service.getIncident(ctx, request.actor, request.params.id));

    app.patch('/api/v1/incidents/:id', { config: write, schema: { summary: 'Change an incident\'s fields or markings (give the version you changed)', params: IdParams, body: PatchBody, response: answers } }, async (request) =>
      service.updateIncident(ctx, request.actor, request.params.id, request.body),
    );

    app.post('/api/v1/incidents/:id/status', { config: write, schema: { summary: 'Move an incident along its state machine (409 SW_INVALID_TRANSITION names the allowed moves)', params: IdParams, body: StatusBody, response: answers } }, async (request) =>
      service.transition(ctx, request.actor, request.params.id, request.body.status, request.body.note, request.body.version),
    );

    app.put('/api/v1/incidents/:id/severity', { config: write, schema: { summary: 'Score an incident\'s severity', params: IdParams, body: SeverityBody, response: answers } }, async (request) =>
      service.scoreSeverity(ctx, request.actor, request.params.id, request.body.selections, request.body.version),
    );

    app.post('/api/v1/incidents/:id/timeline', { config: write, schema: { summary: 'Add a note to an incident\'s timeline', params: IdParams, body: TimelineBody, response: { 201: IncidentSchema } } }, async (request, reply) =>
      reply.status(201).send(await service.addTimelineEntry(ctx, request.actor, request.params.id, request.body.text, request.body.at)),
    );

    app.post('/api/v1/incidents/:id/tasks', { config: write, schema: { summary: 'Add a task to an incident', params: IdParams, body: TaskBody, response: { 201: IncidentSchema } } }, async (request, reply) =>
      reply.status(201).send(await service.addTask(ctx, request.actor, request.params.id, request.body)),
    );

    app.patch('/api/v1/incidents/:id/tasks/:task', { config: write, schema: { summary: 'Change a task (done, reassigned, ...)', params: TaskParams, body: TaskPatchBody, response: answers } }, async (request) =>
      service.updateTask(ctx, request.actor, request.params.id, request.params.task, request.body),
    );

    app.delete('/api/v1/incidents/:id/tasks/:task', { config: write, schema: { summary: 'Remove a task (one added by mistake, or no longer needed: room for others within the 500)', params: TaskParams, response: answers } }, async (request) =>
      service.removeTask(ctx, request.actor, request.params.id, request.params.task),
    );

    app.post('/api/v1/incidents/:id/links', { config: write, schema: { summary: 'Link an intel object or observable you can read to an incident', params: IdParams, body: LinkBody, response: { 201: IncidentSchema } } }, async (request, reply) =>
      reply.status(201).send(await service.addLink(ctx, request.actor, request.params.id, { object_id: request.body.object_id, kind: request.body.kind, note: request.body.note ?? null })),
    );

    app.delete('/api/v1/incidents/:id/links/:object', { config: write, schema: { summary: 'Remove a link from an incident', params: LinkParams, response: answers } }, async (request) =>
      service.removeLink(ctx, request.actor, request.params.id, request.params.object),
    );

    app.get(
      '/api/v1/incidents/:id/export',
      { config: read, schema: { summary: 'Export an incident: a STIX 2.1 bundle, or a printable report (HTML or PDF) with its handling banner', params: IdParams, querystring: ExportQuery } },
      async (request, reply) => {
        const format = request.query.format ?? 'stix';
        const { id } = request.params;
        if (format === 'stix') {
          const bundle = await service.exportBundle(ctx, request.actor, id);
          return reply
            .header('content-type', 'application/stix+json;version=2.1')
            .header('content-disposition', `attachment; filename="${id}.json"`)
            .send(JSON.stringify(bundle));
        }
        const incident = await service.getIncident(ctx, request.actor, id);
        const model = reportModel(incident, await service.reportContext(ctx, request.actor, incident));
        await service.noteReportExport(ctx, request.actor, id, format);
        if (format === 'html') {
          return reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', REPORT_CSP).header('x-content-type-options', 'nosniff').send(reportHtml(model));
        }
        return reply.header('content-type', 'application/pdf').header('content-disposition', `attachment; filename="${id}.pdf"`).send(reportPdf(model));
      },
    );
  };
}
