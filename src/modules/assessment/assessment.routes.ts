/** The cumulative assessment over HTTP: thin: parse, call the service, present. docs/ASSESSMENT.md. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../core/context.js';
import { ActorParams, ActorsAnswer, ActorsQuery, AssessmentQuery, AssessmentSchema, InputBody, InputSchema } from './assessment.schema.js';
import * as service from './assessment.service.js';

export function assessmentRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const read = { permission: 'assessment:read' };

    app.get('/api/v1/assessment/catalogue', { config: read, schema: { summary: 'The Schmitt factors, ratings, windows, the formula\'s constants and the thresholds in force' } }, async () => service.catalogue(ctx));

    app.get('/api/v1/assessment/actors', { config: read, schema: { summary: 'Actors with evidence in the window, highest cumulative score first, as you may see them', querystring: ActorsQuery, response: { 200: ActorsAnswer } } }, async (request) =>
      service.listActors(ctx, request.actor, request.query),
    );

    app.get('/api/v1/assessment/actors/:ref', { config: read, schema: { summary: "An actor's cumulative assessment: score, working, escalation, Schmitt inputs, and what it is based on", params: ActorParams, querystring: AssessmentQuery, response: { 200: AssessmentSchema } } }, async (request) =>
      service.assess(ctx, request.actor, request.params.ref, { ...(request.query.days !== undefined ? { days: request.query.days } : {}), ...(request.query.at !== undefined ? { at: new Date(request.query.at) } : {}) }),
    );

    app.post('/api/v1/assessment/actors/:ref/inputs', { config: { permission: 'assessment:assess' }, schema: { summary: 'Rate a Schmitt factor for an actor, with its rationale (a marked record)', params: ActorParams, body: InputBody, response: { 201: InputSchema } } }, async (request, reply) =>
      reply.status(201).send(await service.addInput(ctx, request.actor, request.params.ref, request.body)),
    );
  };
}
