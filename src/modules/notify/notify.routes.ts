/** Subscriptions to incident notifications over HTTP: each user manages its own, and reads their delivery log. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../core/context.js';
import type { JobScheduler } from '../../core/jobs.js';
import { CreateBody, DeliveriesQuery, DeliverySchema, Params, PatchBody, SubscriptionSchema, TestQuery } from './notify.schema.js';
import * as service from './notify.service.js';

const permission = service.PERMISSION;

export function notifyRoutes(ctx: AppContext, jobs: JobScheduler): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/v1/subscriptions',
      { config: { permission }, schema: { summary: 'Your subscriptions to incident notifications', response: { 200: Type.Object({ subscriptions: Type.Array(SubscriptionSchema) }) } } },
      async (request) => ({ subscriptions: await service.listSubscriptions(ctx, request.actor) }),
    );

    app.post(
      '/api/v1/subscriptions',
      {
        config: { permission },
        schema: {
          summary: 'Subscribe to incident notifications by webhook and/or e-mail; a generated webhook secret is shown in this answer only',
          body: CreateBody,
          response: { 201: SubscriptionSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await service.createSubscription(ctx, request.actor, request.body)),
    );

    app.get(
      '/api/v1/subscriptions/:id',
      { config: { permission }, schema: { summary: 'One of your subscriptions', params: Params, response: { 200: SubscriptionSchema } } },
      async (request) => service.getSubscription(ctx, request.actor, request.params.id),
    );

    app.patch(
      '/api/v1/subscriptions/:id',
      {
        config: { permission },
        schema: { summary: 'Change one of your subscriptions: name, enabled, filter, channels (a new generated secret is shown in this answer only)', params: Params, body: PatchBody, response: { 200: SubscriptionSchema } },
      },
      async (request) => service.updateSubscription(ctx, request.actor, request.params.id, request.body),
    );

    app.delete(
      '/api/v1/subscriptions/:id',
      { config: { permission }, schema: { summary: 'Delete one of your subscriptions, with its delivery log', params: Params } },
      async (request, reply) => {
        await service.deleteSubscription(ctx, request.actor, request.params.id);
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/v1/subscriptions/:id/deliveries',
      {
        config: { permission },
        schema: {
          summary: 'The delivery log of one of your subscriptions, newest first: status, every attempt with its status code or error, the next attempt',
          params: Params,
          querystring: DeliveriesQuery,
          response: { 200: Type.Object({ deliveries: Type.Array(DeliverySchema), next_cursor: Type.Union([Type.String(), Type.Null()]) }) },
        },
      },
      async (request) => service.listDeliveries(ctx, request.actor, request.params.id, { ...(request.query.limit !== undefined ? { limit: request.query.limit } : {}), ...(request.query.cursor !== undefined ? { cursor: request.query.cursor } : {}) }),
    );

    app.post(
      '/api/v1/subscriptions/:id/test',
      {
        config: { permission },
        schema: {
          summary: 'Send a test delivery on each channel of one of your subscriptions (or ?channel=); follow it in its delivery log',
          params: Params,
          querystring: TestQuery,
          response: { 202: Type.Object({ deliveries: Type.Array(DeliverySchema) }) },
        },
      },
      async (request, reply) => reply.status(202).send({ deliveries: await service.testSubscription(ctx, jobs, request.actor, request.params.id, request.query.channel) }),
    );
  };
}
