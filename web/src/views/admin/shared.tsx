/** What the administration tabs share: roles, the node's answer to a two-person request, the members list. */
import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api.js';
import { classificationName } from '../../handling.js';
import { when } from '../../stix.js';
import type { Member } from '../Members.js';
import { messageOf } from '../common/upload.js';

export const ROLES = ['analyst', 'incident-handler', 'coordinator', 'political-delegate', 'member-admin', 'node-admin', 'auditor'] as const;
/** Roles a member administrator may not give (docs/SECURITY.md). */
export const NODE_ONLY_ROLES: readonly string[] = ['auditor', 'node-admin'];

export interface CredentialRequest {
  id: number;
  kind: 'token' | 'password';
  user: string;
  requestedBy: string;
  reason: string;
  tokenId: number | null;
  tokenName: string | null;
  tokenExpiresAt: string | null;
  status: 'pending' | 'approved' | 'declined' | 'lapsed';
  createdAt: string;
  lapsesAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}

/** The 202 answer of a credential that needs a second person. */
export interface PendingCredential {
  status: 'pending';
  request: CredentialRequest;
  message: string;
}

export function clearanceText(level: number): string {
  return `${classificationName(level)} (${level})`;
}

/** A credential waiting for a second person: said plainly, with what happens next. */
export function PendingNote(props: { pending: PendingCredential; what: string }) {
  const r = props.pending.request;
  return (
    <div className="pending-box" role="status">
      <p>
        <strong>Not yet in force: two-person rule.</strong> The {props.what} for <strong>{r.user}</strong> is credential request #{r.id}. It takes effect only once a second node
        administrator (not {r.requestedBy}) or {r.user} approves it, before {when(r.lapsesAt)}.
      </p>
      <p className="small">{props.pending.message}</p>
    </div>
  );
}

/** The members of the node (for selects and the members tab), with a reload. */
export function useMembers(): { members: Member[] | null; error: string; reload: () => void } {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState('');
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    api<{ members: Member[] }>('/api/v1/members')
      .then((a) => live && setMembers([...a.members].sort((x, y) => x.code.localeCompare(y.code))))
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { members, error, reload };
}

/** A button that asks for a second click before it acts (revoking, declining). */
export function ConfirmButton(props: { label: string; ariaLabel?: string; confirm: string; onConfirm: () => void; disabled?: boolean; describedBy?: string }) {
  const [armed, setArmed] = useState(false);
  if (!armed) {
    return (
      <button type="button" className="secondary" onClick={() => setArmed(true)} disabled={props.disabled} aria-describedby={props.describedBy} aria-label={props.ariaLabel}>
        {props.label}
      </button>
    );
  }
  return (
    <span className="confirm">
      <button
        type="button"
        className="danger"
        onClick={() => {
          setArmed(false);
          props.onConfirm();
        }}
        disabled={props.disabled}
      >
        {props.confirm}
      </button>{' '}
      <button type="button" className="secondary" onClick={() => setArmed(false)}>
        Keep
      </button>
    </span>
  );
}
