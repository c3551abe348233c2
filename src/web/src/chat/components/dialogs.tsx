import { useEffect, useState, type FormEvent } from 'react';
import { useLocation } from 'wouter';
import { api } from '../../api/endpoints';
import { ApiError, describeError } from '../../api/errors';
import type { ChannelView, Role, UserView } from '../../api/types';
import { Field } from '../../components/Field';
import { PlanLimitNotice, UpgradePrompt } from '../../components/PlanNotice';
import { useStore } from '../../lib/store';
import { useTenantFeature } from '../../tenant/TenantProvider';
import { useChat } from '../context';
import { Avatar } from './Avatar';
import { Dialog } from './Dialog';
import { HashIcon, LockIcon } from './icons';

/** Dialogs of the sidebar: new channel, channel browser, new direct message, invitations. */

function ErrorBox({ error, role }: { error: unknown; role: Role }) {
  if (error instanceof ApiError && error.code === 'plan_limit') return <PlanLimitNotice error={error} role={role} />;
  return (
    <div className="form-error" role="alert">
      {describeError(error)}
    </div>
  );
}

export function CreateChannelDialog({ onClose }: { onClose: () => void }) {
  const chat = useChat();
  const me = useStore(chat.me);
  const [, navigate] = useLocation();
  const privateAllowed = useTenantFeature('privateChannels');
  const [name, setName] = useState('');
  const [topic, setTopic] = useState('');
  const [kind, setKind] = useState<'public' | 'private'>('public');
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<'name' | 'topic', string>>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const channel = await chat.createChannel({ name: name.trim(), kind, topic: topic.trim() || undefined });
      onClose();
      navigate(`/c/${channel.id}`);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.code === 'validation_failed') {
        // Issues on fields this form does not show (kind, or one it does not know) are said above it.
        const { fields, other } = err.fieldErrorsFor(['name', 'topic'] as const);
        setFieldErrors(fields);
        if (other) setError(new Error(other));
      } else if (err instanceof ApiError && err.code === 'channel_name_taken') setFieldErrors({ name: err.message });
      else setError(err);
    }
  }

  return (
    <Dialog title="Create a channel" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        {error ? <ErrorBox error={error} role={me.role} /> : null}
        <Field label="Name" hint="Lowercase letters, digits, hyphens and underscores." error={fieldErrors.name}>
          {(p) => (
            <div className="input-group prefix">
              <span className="addon" aria-hidden="true">
                #
              </span>
              <input {...p} className="input" value={name} onChange={(e) => setName(e.target.value.toLowerCase().replace(/\s+/g, '-'))} maxLength={80} autoFocus required placeholder="e.g. marketing" />
            </div>
          )}
        </Field>
        <Field label="Topic (optional)" error={fieldErrors.topic}>
          {(p) => <input {...p} className="input" value={topic} onChange={(e) => setTopic(e.target.value)} maxLength={250} />}
        </Field>
        <fieldset className="field">
          <legend>Who can join</legend>
          <div className="choice-cards">
            <label className="choice-card">
              <input type="radio" name="kind" checked={kind === 'public'} onChange={() => setKind('public')} />
              <div>
                <strong>Public</strong>
                <span>Anyone in the workspace can find and join it.</span>
              </div>
            </label>
            {privateAllowed ? (
              <label className="choice-card">
                <input type="radio" name="kind" checked={kind === 'private'} onChange={() => setKind('private')} />
                <div>
                  <strong>Private</strong>
                  <span>Only people added to it can see it.</span>
                </div>
              </label>
            ) : null}
          </div>
        </fieldset>
        {!privateAllowed ? <UpgradePrompt feature="Private channels" role={me.role} /> : null}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy || !name.trim()}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function BrowseChannelsDialog({ onClose }: { onClose: () => void }) {
  const chat = useChat();
  const channels = useStore(chat.channels);
  const [, navigate] = useLocation();
  const [status, setStatus] = useState<'loading' | 'ready' | 'error'>('loading');
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [joining, setJoining] = useState<string | null>(null);

  useEffect(() => {
    chat
      .refreshChannels()
      .then(() => setStatus('ready'))
      .catch((err: unknown) => {
        setError(describeError(err));
        setStatus('error');
      });
  }, [chat]);

  const visible = channels.filter((c) => c.kind !== 'direct' && !c.archivedAt && c.name.includes(filter.trim().toLowerCase()));

  async function join(c: ChannelView) {
    setJoining(c.id);
    try {
      await chat.join(c.id);
      onClose();
      navigate(`/c/${c.id}`);
    } catch (err) {
      setJoining(null);
      setError(describeError(err));
    }
  }

  return (
    <Dialog title="Browse channels" onClose={onClose}>
      <Field label="Find a channel">
        {(p) => <input {...p} className="input" value={filter} onChange={(e) => setFilter(e.target.value)} autoFocus type="search" />}
      </Field>
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      {status === 'loading' ? <div className="spinner small" role="status" aria-label="Loading channels" /> : null}
      <ul className="pick-list">
        {visible.map((c) => (
          <li key={c.id}>
            <span className="pick-icon">{c.kind === 'private' ? <LockIcon /> : <HashIcon />}</span>
            <span className="pick-main">
              <strong>{c.name}</strong>
              {c.topic ? <span className="muted"> · {c.topic}</span> : null}
            </span>
            {c.isMember ? (
              <button
                type="button"
                className="btn btn-sm"
                onClick={() => {
                  onClose();
                  navigate(`/c/${c.id}`);
                }}
              >
                Open
              </button>
            ) : (
              <button type="button" className="btn btn-sm btn-primary" disabled={joining === c.id} onClick={() => void join(c)} aria-label={`Join ${c.name}`}>
                {joining === c.id ? 'Joining…' : 'Join'}
              </button>
            )}
          </li>
        ))}
        {status === 'ready' && !visible.length ? <li className="muted">No channels match.</li> : null}
      </ul>
    </Dialog>
  );
}

export function NewDmDialog({ onClose }: { onClose: () => void }) {
  const chat = useChat();
  const me = useStore(chat.me);
  const [, navigate] = useLocation();
  const [q, setQ] = useState('');
  const [users, setUsers] = useState<UserView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    const t = setTimeout(() => {
      api
        .users({ search: q.trim() || undefined, limit: 20 }, controller.signal)
        .then(({ users }) => {
          chat.people.merge(users);
          setUsers(users.filter((u) => u.id !== me.id && u.status === 'active'));
          setError(null);
        })
        .catch((err: unknown) => {
          if (!controller.signal.aborted) setError(describeError(err));
        });
    }, 200);
    return () => {
      clearTimeout(t);
      controller.abort();
    };
  }, [q, chat, me.id]);

  async function open(u: UserView) {
    setBusy(u.id);
    try {
      const channel = await chat.openDm(u.id);
      onClose();
      navigate(`/c/${channel.id}`);
    } catch (err) {
      setBusy(null);
      setError(describeError(err));
    }
  }

  return (
    <Dialog title="New direct message" onClose={onClose}>
      <Field label="Find a person">
        {(p) => <input {...p} className="input" value={q} onChange={(e) => setQ(e.target.value)} autoFocus type="search" placeholder="Name or email" />}
      </Field>
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      <ul className="pick-list">
        {users.map((u) => (
          <li key={u.id}>
            <Avatar userId={u.id} user={u} size={28} />
            <span className="pick-main">
              <strong>{u.displayName}</strong> <span className="muted">{u.email}</span>
            </span>
            <button type="button" className="btn btn-sm" disabled={busy === u.id} onClick={() => void open(u)} aria-label={`Message ${u.displayName}`}>
              Message
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}

export function InviteDialog({ onClose }: { onClose: () => void }) {
  const chat = useChat();
  const me = useStore(chat.me);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [error, setError] = useState<unknown>(null);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<'email' | 'role', string>>>({});
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const res = await api.invite(email.trim(), role);
      setLink({ email: res.invitation.email, url: res.acceptUrl });
      setEmail('');
      setCopied(false);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed') {
        const { fields, other } = err.fieldErrorsFor(['email', 'role'] as const);
        setFieldErrors(fields);
        if (other) setError(new Error(other));
      } else setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title="Invite people" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        {error ? <ErrorBox error={error} role={me.role} /> : null}
        {link ? (
          <div className="form-note" role="status">
            <p style={{ margin: '0 0 6px' }}>
              Invitation sent to <strong>{link.email}</strong>. You can also share this link with them:
            </p>
            <div className="copy-row">
              <input className="input" readOnly value={link.url} aria-label="Invitation link" onFocus={(e) => e.target.select()} />
              <button
                type="button"
                className="btn btn-sm"
                onClick={() => {
                  navigator.clipboard?.writeText(link.url).then(
                    () => setCopied(true),
                    () => setError(new Error('Could not copy; select the link and copy it yourself.')),
                  );
                }}
              >
                {copied ? 'Copied' : 'Copy'}
              </button>
            </div>
          </div>
        ) : null}
        <Field label="Email" error={fieldErrors.email}>
          {(p) => <input {...p} className="input" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus required />}
        </Field>
        <Field label="Role" error={fieldErrors.role}>
          {(p) => (
            <select {...p} className="select" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option value="member">Member</option>
              <option value="admin">Admin</option>
              <option value="guest">Guest</option>
            </select>
          )}
        </Field>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Done
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy || !email.trim()}>
            {busy ? 'Inviting…' : 'Send invitation'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
