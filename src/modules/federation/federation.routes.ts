/** Federation over HTTP: peers, their sync state, a sync on demand, and provenance of objects. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { AppContext } from '../../core/context.js';
import { shieldwallError } from '../../core/errors.js';
import * as directory from '../directory/directory.service.js';
import { PeerBody, PeerPatchBody, PeerSchema, PeerStatusSchema, ProvenanceSchema, SyncResultSchema } from './federation.schema.js';
import * as service from './federation.service.js';

function presentPeer(p: directory.Peer) {
  return {
    name: p.name,
    certificate_cn: p.certificateCn,
    members: p.members,
    clearance: p.clearance,
    roles: p.roles,
    url: p.url,
    pull_collection: p.pullCollection,
    push_collection: p.pushCollection,
    direction: p.direction,
    interval_s: p.intervalSeconds,
    auth: p.auth,
    username: p.username,
    has_secret: p.hasSecret,
    ca_file: p.caFile,
    page_timeout_s: p.pageTimeoutSeconds,
    disabled: p.disabled,
    awaiting_approval_by: p.awaitingApprovalBy,
  };
}

function presentStatus(s: service.PeerStatus) {
  return {
    ...presentPeer(s),
    pull_cursor: s.pullCursor,
    push_cursor: s.pushCursor,
    pulled: s.pulled,
    pushed: s.pushed,
    refused: s.refused,
    push_refused: s.pushRefused,
    last_pull_at: s.lastPullAt,
    last_push_at: s.lastPushAt,
    pull_ok_at: s.pullOkAt,
    push_ok_at: s.pushOkAt,
    last_error: s.lastError,
    last_error_at: s.lastErrorAt,
    failures: s.failures,
    errors: s.errors,
  };
}

/**
 * 204 with no body at all: the schema's Type.Null() documents the empty answer, but send(null)
 * would serialise it with a JSON content type, and the type provider allows send() no argument.
 */
function noContent(reply: FastifyReply): FastifyReply {
  return reply.status(204).send();
}

const PeerName = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }) });

export function federationRoutes(ctx: AppContext, onPeersChanged: () => void = () => undefined): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    service.registerMetrics(ctx);
    app.get(
      '/api/v1/peers',
      { config: { permission: 'node:read' }, schema: { summary: 'List peer nodes with their sync state (cursors, counts, last error)', response: { 200: Type.Object({ peers: Type.Array(PeerStatusSchema) }) } } },
      async (request) => ({ peers: (await service.peerStatus(ctx, request.actor)).map(presentStatus) }),
    );

    app.get(
      '/api/v1/peers/:name',
      { config: { permission: 'node:read' }, schema: { summary: 'One peer node and its sync state', params: PeerName, response: { 200: PeerStatusSchema } } },
      async (request) => presentStatus((await service.peerStatus(ctx, request.actor, request.params.name))[0]!),
    );

    app.post(
      '/api/v1/peers',
      {
        config: { permission: 'directory:write' },
        schema: { summary: 'Register a peer node (node administrators): the members it stands for, and optionally its TAXII server to pull from and push to', body: PeerBody, response: { 201: PeerSchema } },
      },
      async (request, reply) => {
        const b = request.body;
        const peer = await directory.createPeer(ctx, request.actor, {
          name: b.name,
          members: b.members,
          clearance: b.clearance,
          roles: b.roles,
          ...(b.certificate_cn !== undefined ? { certificateCn: b.certificate_cn } : {}),
          ...(b.url !== undefined ? { url: b.url } : {}),
          ...(b.pull_collection !== undefined ? { pullCollection: b.pull_collection } : {}),
          ...(b.push_collection !== undefined ? { pushCollection: b.push_collection } : {}),
          ...(b.direction !== undefined ? { direction: b.direction } : {}),
          ...(b.interval_s !== undefined ? { intervalSeconds: b.interval_s } : {}),
          ...(b.auth !== undefined ? { auth: b.auth } : {}),
          ...(b.username !== undefined ? { username: b.username } : {}),
          ...(b.secret !== undefined ? { secret: b.secret } : {}),
          ...(b.ca_file !== undefined ? { caFile: b.ca_file } : {}),
          ...(b.page_timeout_s !== undefined ? { pageTimeoutSeconds: b.page_timeout_s } : {}),
        });
        onPeersChanged();
        return reply.status(201).send(presentPeer(peer));
      },
    );

    app.patch(
      '/api/v1/peers/:name',
      {
        config: { permission: 'directory:write' },
        schema: { summary: 'Change a peer node (node administrators): what is not given stays; null clears url, username, ca_file or secret', params: PeerName, body: PeerPatchBody, response: { 200: PeerSchema } },
      },
      async (request) => {
        const b = request.body;
        const peer = await service.updatePeer(ctx, request.actor, request.params.name, {
          ...(b.members !== undefined ? { members: b.members } : {}),
          ...(b.clearance !== undefined ? { clearance: b.clearance } : {}),
          ...(b.roles !== undefined ? { roles: b.roles } : {}),
          ...(b.certificate_cn !== undefined ? { certificateCn: b.certificate_cn } : {}),
          ...(b.url !== undefined ? { url: b.url } : {}),
          ...(b.pull_collection !== undefined ? { pullCollection: b.pull_collection } : {}),
          ...(b.push_collection !== undefined ? { pushCollection: b.push_collection } : {}),
          ...(b.direction !== undefined ? { direction: b.direction } : {}),
          ...(b.interval_s !== undefined ? { intervalSeconds: b.interval_s } : {}),
          ...(b.auth !== undefined ? { auth: b.auth } : {}),
          ...(b.username !== undefined ? { username: b.username } : {}),
          ...(b.secret !== undefined ? { secret: b.secret } : {}),
          ...(b.ca_file !== undefined ? { caFile: b.ca_file } : {}),
          ...(b.page_timeout_s !== undefined ? { pageTimeoutSeconds: b.page_timeout_s } : {}),
        });
        onPeersChanged();
        return presentPeer(peer);
      },
    );

    for (const action of ['disable', 'enable'] as const) {
      app.post(
        `/api/v1/peers/:name/${action}`,
        {
          config: { permission: 'directory:write' },
          schema: {
            summary: action === 'disable' ? 'Disable a peer node (node administrators): no sync, its certificate refused; settings, cursors and provenance stay' : 'Enable a disabled peer node again (node administrators)',
            params: PeerName,
            response: { 200: PeerSchema },
          },
        },
        async (request) => {
          const peer = await service.setPeerDisabled(ctx, request.actor, request.params.name, action === 'disable');
          onPeersChanged();
          return presentPeer(peer);
        },
      );
    }

    app.delete(
      '/api/v1/peers/:name',
      {
        config: { permission: 'directory:write' },
        schema: { summary: 'Remove a peer node (node administrators) with its cursors; what it delivered and the provenance records stay', params: PeerName, response: { 204: Type.Null() } },
      },
      async (request, reply) => {
        await service.removePeer(ctx, request.actor, request.params.name);
        onPeersChanged();
        return noContent(reply);
      },
    );

    app.post(
      '/api/v1/peers/:name/sync',
      {
        config: { permission: 'directory:write' },
        schema: {
          summary: 'Pull from and/or push to a peer now (node administrators); 502 when the peer fails',
          params: PeerName,
          querystring: Type.Object({ direction: Type.Optional(Type.Union([Type.Literal('pull'), Type.Literal('push')])) }, { additionalProperties: false }),
          response: { 200: SyncResultSchema },
        },
      },
      async (request) => {
        const result = await service.syncPeer(ctx, request.actor, request.params.name, request.query.direction);
        if (result.error) throw shieldwallError('PEER_FAILED', `sync with peer ${result.peer} failed: ${result.error}`, result);
        return result;
      },
    );

    app.get(
      '/api/v1/objects/:id/provenance',
      {
        config: { permission: 'intel:read' },
        schema: {
          summary: 'Which peer nodes delivered the versions of an object (for those who may read it), oldest version first, a page at a time',
          params: Type.Object({ id: Type.String({ maxLength: 300 }) }),
          querystring: Type.Object({
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: service.PROVENANCE_PAGE_MAX, description: `receipts a page holds, at most ${service.PROVENANCE_PAGE_MAX} (default ${service.PROVENANCE_PAGE_DEFAULT})` })),
            cursor: Type.Optional(Type.String({ maxLength: 1000, description: 'next_cursor of the previous page' })),
          }),
          response: { 200: Type.Object({ ...ProvenanceSchema.properties, next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as cursor for the next page; null on the last one' }) }) },
        },
      },
      async (request) => {
        const q = request.query;
        const page = await service.provenance(ctx, request.actor, request.params.id, { ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) });
        return { id: request.params.id, receipts: page.receipts.map((r) => ({ version: r.version, peer: r.peer, received_at: r.receivedAt })), next_cursor: page.next_cursor };
      },
    );
  };
}
