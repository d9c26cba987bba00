import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../core/context.js';
import * as service from './directory.service.js';

const MemberSchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('ally'), Type.Literal('partner'), Type.Literal('international-organisation'), Type.Literal('industry')]),
  country: Type.Union([Type.String(), Type.Null()]),
  identityId: Type.Union([Type.String(), Type.Null()]),
});

export function directoryRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/api/v1/members',
      {
        config: { permission: 'directory:read' },
        schema: { summary: 'List the members hosted or known by this node', response: { 200: Type.Object({ members: Type.Array(MemberSchema) }) } },
      },
      async (request) => ({ members: await service.listMembers(ctx, request.principal!) }),
    );
  };
}
