/** Standby rosters over HTTP: thin: parse, call the service, present. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../core/context.js';
import { commaList } from '../../core/cursor.js';
import { shieldwallError } from '../../core/errors.js';
import { StandbyAnswerSchema, StandbyQueryString, TeamBody, TeamListAnswer, TeamListQuery, TeamParams, TeamPatchBody, TeamSchema } from './roster.schema.js';
import * as service from './roster.service.js';

const listOf = commaList;

function timeOf(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw shieldwallError('BAD_REQUEST', `at '${value.slice(0, 40)}' is not an RFC 3339 time such as 2026-11-30T08:15:00Z`, [{ path: 'querystring.at', message: 'not a time' }]);
  return at;
}

export function rosterRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const read = { permission: 'assistance:read' };
    const roster = { permission: 'assistance:roster' };

    app.get(
      '/api/v1/assistance/teams',
      { config: read, schema: { summary: 'The standby roster: the teams you may know of, newest change first', querystring: TeamListQuery, response: { 200: TeamListAnswer } } },
      async (request) => {
        const q = request.query;
        const members = listOf(q.member);
        return service.listTeams(ctx, request.actor, {
          ...(members ? { member: members } : {}),
          ...(q.capability !== undefined ? { capability: q.capability } : {}),
          ...(q.mode !== undefined ? { mode: q.mode } : {}),
          ...(q.status !== undefined ? { status: q.status } : {}),
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
        });
      },
    );

    app.post(
      '/api/v1/assistance/teams',
      { config: roster, schema: { summary: "Register a standby team in your member's name", body: TeamBody, response: { 201: TeamSchema } } },
      async (request, reply) => {
        const team = await service.registerTeam(ctx, request.actor, request.body);
        return reply.status(201).header('location', `/api/v1/assistance/teams/${team.id}`).send(team);
      },
    );

    app.get('/api/v1/assistance/teams/:id', { config: read, schema: { summary: 'One standby team', params: TeamParams, response: { 200: TeamSchema } } }, async (request) =>
      service.getTeam(ctx, request.actor, request.params.id),
    );

    app.patch(
      '/api/v1/assistance/teams/:id',
      { config: roster, schema: { summary: "Change a standby team, or stand it down (status 'stood-down'); give the version you changed", params: TeamParams, body: TeamPatchBody, response: { 200: TeamSchema } } },
      async (request) => service.updateTeam(ctx, request.actor, request.params.id, request.body),
    );

    app.get(
      '/api/v1/assistance/standby',
      {
        config: read,
        schema: {
          summary: 'Who can help: standing-by teams with the capabilities, in the mode, on call at a time and at work within the hours asked, fastest first',
          querystring: StandbyQueryString,
          response: { 200: StandbyAnswerSchema },
        },
      },
      async (request) => {
        const q = request.query;
        const at = timeOf(q.at);
        return service.standby(ctx, request.actor, {
          capabilities: listOf(q.capability) ?? [],
          ...(q.mode !== undefined ? { mode: q.mode } : {}),
          ...(q.within_hours !== undefined ? { within_hours: q.within_hours } : {}),
          ...(at !== undefined ? { at } : {}),
          ...(q.include_off_call !== undefined ? { include_off_call: q.include_off_call } : {}),
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
        });
      },
    );
  };
}
