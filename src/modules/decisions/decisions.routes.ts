/** Consultations, proposals under silence, decision records and attribution statements over HTTP: thin: parse, call the service, present. docs/DECISIONS.md. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../core/context.js';
import { commaListOf as listOf } from '../../core/cursor.js';
import { CONSULTATION_STATUSES, PROPOSAL_STATUSES, STATEMENT_STATUSES } from './decisions.model.js';
import {
  AmendBody, BreakBody, CirculateBody, ConsultationBody, ConsultationParams, ConsultationSchema, ConsultationStatusBody, ConsultationSummarySchema, DecisionParams, DecisionRecordSchema,
  EntryBody, ListQuery, ProposalBody, ProposalParams, ProposalSchema, ProposalSummarySchema, StatementBody, StatementParams, StatementResponseBody, StatementSchema, WithdrawBody,
} from './decisions.schema.js';
import * as service from './decisions.service.js';
import * as statements from './statements.service.js';


export function decisionsRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    // Taking part needs more than reading: the service checks decisions:participate or decisions:chair per action.
    const read = { permission: 'decisions:read' };
    const participate = { permission: 'decisions:participate' };

    app.get('/api/v1/decisions/catalogue', { config: read, schema: { summary: 'The response-options catalogue, the proposal state machine and the silence bounds' } }, async () => service.catalogue());

    app.get('/api/v1/decisions/consultations', { config: read, schema: { summary: 'Consultations you may read, newest change first', querystring: ListQuery, response: { 200: Type.Object({ consultations: Type.Array(ConsultationSummarySchema) }) } } }, async (request) => {
      const status = listOf(request.query.status, CONSULTATION_STATUSES, 'querystring.status');
      return service.listConsultations(ctx, request.actor, { ...(status ? { status } : {}), ...(request.query.subject ? { subject: request.query.subject } : {}), ...(request.query.limit ? { limit: request.query.limit } : {}) });
    });

    app.post('/api/v1/decisions/consultations', { config: participate, schema: { summary: 'Request a consultation on an actor or an incident, with the members to consult', body: ConsultationBody, response: { 201: ConsultationSchema } } }, async (request, reply) => {
      const created = await service.requestConsultation(ctx, request.actor, request.body);
      return reply.status(201).header('location', `/api/v1/decisions/consultations/${created.id}`).send(created);
    });

    app.get('/api/v1/decisions/consultations/:id', { config: read, schema: { summary: 'A consultation: statements, documents, minutes, proposals, what you may do', params: ConsultationParams, response: { 200: ConsultationSchema } } }, async (request) =>
      service.getConsultation(ctx, request.actor, request.params.id),
    );

    app.post('/api/v1/decisions/consultations/:id/entries', { config: participate, schema: { summary: 'Add a statement or document (participants) or minutes (chairs)', params: ConsultationParams, body: EntryBody, response: { 200: ConsultationSchema } } }, async (request) =>
      service.addEntry(ctx, request.actor, request.params.id, request.body),
    );

    app.post('/api/v1/decisions/consultations/:id/status', { config: participate, schema: { summary: 'Close or reopen a consultation (chairs)', params: ConsultationParams, body: ConsultationStatusBody, response: { 200: ConsultationSchema } } }, async (request) =>
      service.moveConsultation(ctx, request.actor, request.params.id, request.body),
    );

    app.post('/api/v1/decisions/consultations/:id/proposals', { config: participate, schema: { summary: 'Draft a proposal from the response-options catalogue', params: ConsultationParams, body: ProposalBody, response: { 201: ProposalSchema } } }, async (request, reply) => {
      const created = await service.propose(ctx, request.actor, request.params.id, request.body);
      return reply.status(201).header('location', `/api/v1/decisions/proposals/${created.id}`).send(created);
    });

    app.get('/api/v1/decisions/proposals', { config: read, schema: { summary: 'Proposals you may read (status=silence: those under silence now)', querystring: ListQuery, response: { 200: Type.Object({ proposals: Type.Array(ProposalSummarySchema) }) } } }, async (request) => {
      const status = listOf(request.query.status, PROPOSAL_STATUSES, 'querystring.status');
      return service.listProposals(ctx, request.actor, { ...(status ? { status } : {}), ...(request.query.limit ? { limit: request.query.limit } : {}) });
    });

    app.get('/api/v1/decisions/proposals/:id', { config: read, schema: { summary: 'A proposal: text, silence, breaks, amendments, decision record', params: ProposalParams, response: { 200: ProposalSchema } } }, async (request) =>
      service.getProposal(ctx, request.actor, request.params.id),
    );

    app.post('/api/v1/decisions/proposals/:id/circulate', { config: participate, schema: { summary: 'Circulate under silence until a deadline', params: ProposalParams, body: CirculateBody, response: { 200: ProposalSchema } } }, async (request) =>
      service.circulate(ctx, request.actor, request.params.id, request.body),
    );

    app.post('/api/v1/decisions/proposals/:id/break', { config: participate, schema: { summary: 'Break silence before the deadline, with a reason: the proposal returns to consultation', params: ProposalParams, body: BreakBody, response: { 200: ProposalSchema } } }, async (request) =>
      service.breakSilence(ctx, request.actor, request.params.id, request.body),
    );

    app.post('/api/v1/decisions/proposals/:id/amend', { config: participate, schema: { summary: 'Amend the text (under silence: silence restarts)', params: ProposalParams, body: AmendBody, response: { 200: ProposalSchema } } }, async (request) =>
      service.amend(ctx, request.actor, request.params.id, request.body),
    );

    app.post('/api/v1/decisions/proposals/:id/withdraw', { config: participate, schema: { summary: 'Withdraw a proposal not adopted', params: ProposalParams, body: WithdrawBody, response: { 200: ProposalSchema } } }, async (request) =>
      service.withdraw(ctx, request.actor, request.params.id, request.body),
    );

    app.get('/api/v1/decisions/records', { config: read, schema: { summary: 'Decision records you may read, newest first', querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }, { additionalProperties: false }), response: { 200: Type.Object({ decisions: Type.Array(DecisionRecordSchema) }) } } }, async (request) =>
      service.listDecisionRecords(ctx, request.actor, request.query.limit),
    );

    app.get('/api/v1/decisions/records/:id', { config: read, schema: { summary: 'An immutable decision record: which text, which version, when', params: DecisionParams, response: { 200: DecisionRecordSchema } } }, async (request) =>
      service.getDecisionRecord(ctx, request.actor, request.params.id),
    );

    app.get('/api/v1/decisions/statements', { config: read, schema: { summary: 'Attribution statements you may read', querystring: ListQuery, response: { 200: Type.Object({ statements: Type.Array(StatementSchema) }) } } }, async (request) => {
      const status = listOf(request.query.status, STATEMENT_STATUSES, 'querystring.status');
      return statements.listStatements(ctx, request.actor, { ...(status ? { status } : {}), ...(request.query.limit ? { limit: request.query.limit } : {}) });
    });

    app.post('/api/v1/decisions/statements', { config: participate, schema: { summary: 'Draft a coordinated attribution statement and invite members to join it', body: StatementBody, response: { 201: StatementSchema } } }, async (request, reply) => {
      const created = await statements.draftStatement(ctx, request.actor, request.body);
      return reply.status(201).header('location', `/api/v1/decisions/statements/${created.id}`).send(created);
    });

    app.get('/api/v1/decisions/statements/:id', { config: read, schema: { summary: 'An attribution statement', params: StatementParams, response: { 200: StatementSchema } } }, async (request) =>
      statements.getStatement(ctx, request.actor, request.params.id),
    );

    app.post('/api/v1/decisions/statements/:id/respond', { config: participate, schema: { summary: 'Join or decline (invited members) or cancel (the drafter) before publication', params: StatementParams, body: StatementResponseBody, response: { 200: StatementSchema } } }, async (request) =>
      statements.respond(ctx, request.actor, request.params.id, request.body),
    );

    app.get('/api/v1/decisions/statements/:id/stix', { config: read, schema: { summary: 'The statement as a STIX 2.1 bundle (report, attributed-to relationship)', params: StatementParams } }, async (request) =>
      statements.statementBundle(ctx, request.actor, request.params.id),
    );

    app.get('/api/v1/decisions/statements/:id/text', { config: read, schema: { summary: 'The statement as plain text', params: StatementParams } }, async (request, reply) =>
      reply.type('text/plain; charset=utf-8').send(await statements.statementText(ctx, request.actor, request.params.id)),
    );
  };
}
