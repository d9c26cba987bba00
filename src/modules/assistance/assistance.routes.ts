/** Mutual assistance over HTTP: thin: parse, call the service, present. docs/ASSISTANCE.md. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../core/context.js';
import { commaListOf as listOf } from '../../core/cursor.js';
import { DEPLOYMENT_STATUSES, REQUEST_STATUSES, URGENCIES, type DeploymentStatus, type RequestStatus, type Urgency } from './assistance.model.js';
import {
  ClocksAnswer, ClocksQuery, DeploymentParams, DeploymentSchema, DeploymentsAnswer, DeploymentsQuery, DeploymentStatusBody, ListAnswer, ListQuery, OfferBody, OfferParams,
  OfferSchema, OfferStatusBody, RequestBody, RequestParams, RequestSchema, RequestStatusBody, SitrepBody,
} from './assistance.schema.js';
import * as service from './assistance.service.js';


export function assistanceRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    // Deciding, offering and requesting need more than reading: the service checks the permission
    // each action needs (assistance:approve, assistance:write), as one route serves several.
    const read = { permission: 'assistance:read' };
    const write = { permission: 'assistance:write' };

    app.get('/api/v1/assistance/catalogue', { config: read, schema: { summary: 'Capabilities, urgencies, modes, the state machines, approval rules, clock targets and coordinating members in force' } }, async () =>
      service.catalogue(ctx),
    );

    app.get('/api/v1/assistance/requests', { config: read, schema: { summary: 'The assistance board: requests you may read, newest change first, with their clocks', querystring: ListQuery, response: { 200: ListAnswer } } }, async (request) => {
      const q = request.query;
      const status = listOf<RequestStatus>(q.status, REQUEST_STATUSES, 'querystring.status');
      const urgency = listOf<Urgency>(q.urgency, URGENCIES, 'querystring.urgency');
      return service.listRequests(ctx, request.actor, {
        ...(status ? { status } : {}),
        ...(urgency ? { urgency } : {}),
        ...(q.incident !== undefined ? { incident: q.incident } : {}),
        ...(q.limit !== undefined ? { limit: q.limit } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      });
    });

    app.post('/api/v1/assistance/requests', { config: write, schema: { summary: "Request assistance for one of your member's incidents", body: RequestBody, response: { 201: RequestSchema } } }, async (request, reply) => {
      const created = await service.requestAssistance(ctx, request.actor, request.body);
      return reply.status(201).header('location', `/api/v1/assistance/requests/${created.id}`).send(created);
    });

    app.get('/api/v1/assistance/requests/:id', { config: read, schema: { summary: 'A request with its clocks, the offers and deployments you may read, and what you may do', params: RequestParams, response: { 200: RequestSchema } } }, async (request) =>
      service.getRequest(ctx, request.actor, request.params.id),
    );

    app.post(
      '/api/v1/assistance/requests/:id/status',
      { config: read, schema: { summary: 'Approve (coordinators, with conditions), reject (with a reason), withdraw or close a request', params: RequestParams, body: RequestStatusBody, response: { 200: RequestSchema } } },
      async (request) => service.moveRequest(ctx, request.actor, request.params.id, request.body),
    );

    app.post('/api/v1/assistance/requests/:id/offers', { config: write, schema: { summary: "Offer your member's assets to an approved request", params: RequestParams, body: OfferBody, response: { 201: OfferSchema } } }, async (request, reply) => {
      const offer = await service.makeOffer(ctx, request.actor, request.params.id, request.body);
      return reply.status(201).header('location', `/api/v1/assistance/offers/${offer.id}`).send(offer);
    });

    app.get('/api/v1/assistance/offers/:id', { config: read, schema: { summary: 'An offer', params: OfferParams, response: { 200: OfferSchema } } }, async (request) =>
      service.getOffer(ctx, request.actor, request.params.id),
    );

    app.post(
      '/api/v1/assistance/offers/:id/status',
      { config: write, schema: { summary: 'Accept (making a deployment) or decline an offer (the requester), or withdraw it (the offering member)', params: OfferParams, body: OfferStatusBody, response: { 200: OfferSchema } } },
      async (request) => service.decideOffer(ctx, request.actor, request.params.id, request.body),
    );

    app.get('/api/v1/assistance/deployments', { config: read, schema: { summary: 'Deployments you may read, newest change first', querystring: DeploymentsQuery, response: { 200: DeploymentsAnswer } } }, async (request) => {
      const status = listOf<DeploymentStatus>(request.query.status, DEPLOYMENT_STATUSES, 'querystring.status');
      return { deployments: await service.listDeployments(ctx, request.actor, status, request.query.limit) };
    });

    app.get('/api/v1/assistance/deployments/:id', { config: read, schema: { summary: 'A deployment with its situation reports', params: DeploymentParams, response: { 200: DeploymentSchema } } }, async (request) =>
      service.getDeployment(ctx, request.actor, request.params.id),
    );

    app.post(
      '/api/v1/assistance/deployments/:id/status',
      { config: write, schema: { summary: 'Move a deployment: mobilising > active > demobilised > closed (with lessons learned)', params: DeploymentParams, body: DeploymentStatusBody, response: { 200: DeploymentSchema } } },
      async (request) => service.moveDeployment(ctx, request.actor, request.params.id, request.body),
    );

    app.post('/api/v1/assistance/deployments/:id/sitreps', { config: write, schema: { summary: 'Add a situation report to a deployment', params: DeploymentParams, body: SitrepBody, response: { 200: DeploymentSchema } } }, async (request) =>
      service.addSitrep(ctx, request.actor, request.params.id, request.body.text),
    );

    app.get('/api/v1/assistance/clocks', { config: read, schema: { summary: 'Response clocks aggregated per cycle (median, p90, max, over target) over the requests you may read', querystring: ClocksQuery, response: { 200: ClocksAnswer } } }, async (request) =>
      service.clocksPerCycle(ctx, request.actor, request.query.cycle ?? 'quarter', request.query.cycles ?? 4),
    );
  };
}
