/**
 * Directory use cases, the way other modules reach the directory: members and groups, users,
 * API tokens, credential requests, authentication and peers. Each concern has its own file
 * (directory.<concern>.ts); this file gathers what they offer.
 */
export type { MemberKind } from '../../policy/principal.js';
export {
  addToGroup, countMembers, createMember, listMembers, memberIdentities, saveMember, updateMember, upsertMembers,
  type Member, type MemberChanges, type MemberView,
} from './directory.members.js';
export {
  createUser, findUser, hashPassword, listUsers, MIN_PASSWORD_LENGTH, setUserPassword, verifyPassword, type User,
} from './directory.users.js';
export {
  BOOTSTRAP_USER, createToken, ensureBootstrapToken, hashToken, listTokens, revokeToken, type CreatedToken,
  type TokenInfo,
} from './directory.tokens.js';
export {
  approveCredentialRequest, CREDENTIAL_KINDS, CREDENTIAL_REQUEST_STATUSES, CREDENTIAL_REQUEST_TTL_MS,
  declineCredentialRequest, listCredentialRequests, type CredentialKind, type CredentialRequest,
  type CredentialRequestStatus,
} from './directory.requests.js';
export { PAGE_DEFAULT, PAGE_MAX, type PageQuery } from './directory.pages.js';
export {
  authenticateToken, CREDENTIAL_CACHE_MS, forgetCredentials, principalOfUser,
} from './directory.authentication.js';
export {
  createPeer, listPeers, MAX_PAGE_TIMEOUT_S, PEER_AUTH, PEER_DIRECTIONS, peerLink, principalOfCertificate,
  principalOfPeer, removePeer, setPeerDisabled, updatePeer, type Peer, type PeerAuth, type PeerChanges,
  type PeerDirection, type PeerInput, type PeerLink,
} from './directory.peers.js';
