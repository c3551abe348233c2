import { useState, type RefObject } from 'react';
import { Link, useLocation } from 'wouter';
import type { ChannelView } from '../../api/types';
import { BrandMark } from '../../components/AuthLayout';
import { mayBuy } from '../../components/PlanNotice';
import { useStore } from '../../lib/store';
import { useAppName, useTenant, useTenantFeature } from '../../tenant/TenantProvider';
import { useChat } from '../context';
import { Avatar } from './Avatar';
import { BrowseChannelsDialog, CreateChannelDialog, InviteDialog, NewDmDialog } from './dialogs';
import { HashIcon, LockIcon, PlusIcon } from './icons';
import { Menu } from './Menu';

/**
 * Channels and direct messages with unread counts and mentions, and the workspace's own menu.
 * No "online" dot on direct messages: presence is known only inside an open channel's room.
 */
export function Sidebar({ navRef, openId, onNavigate, onSignOut }: { navRef: RefObject<HTMLElement | null>; openId: string | null; onNavigate: () => void; onSignOut: () => void }) {
  const chat = useChat();
  const channels = useStore(chat.channels);
  const mentions = useStore(chat.mentions);
  const me = useStore(chat.me);
  const people = useStore(chat.people);
  const appName = useAppName();
  const { tenant } = useTenant();
  const dmsAllowed = useTenantFeature('directMessages');
  const [dialog, setDialog] = useState<'create' | 'browse' | 'dm' | 'invite' | null>(null);
  const manager = mayBuy(me.role);
  const [, navigate] = useLocation();

  const mine = channels.filter((c) => c.isMember && c.kind !== 'direct' && (!c.archivedAt || c.id === openId));
  const dms = channels.filter((c) => c.kind === 'direct' && c.isMember);
  const trialDays = tenant?.trial && !tenant.trial.expired ? Math.max(0, Math.ceil((Date.parse(tenant.trial.endsAt) - Date.now()) / 86_400_000)) : null;

  function item(c: ChannelView) {
    const unread = c.id !== openId && (c.unreadCount ?? 0) > 0 ? c.unreadCount! : 0;
    const mentionCount = c.id !== openId ? (mentions[c.id] ?? 0) : 0;
    const label = c.kind === 'direct' ? (c.dmWith?.displayName ?? c.name) : c.name;
    const describe = [mentionCount ? `${mentionCount} mention${mentionCount === 1 ? '' : 's'}` : null, unread ? `${unread} unread` : null].filter(Boolean).join(', ');
    return (
      <li key={c.id}>
        <Link
          href={`/c/${c.id}`}
          className={`side-item${c.id === openId ? ' active' : ''}${unread ? ' unread' : ''}`}
          aria-current={c.id === openId ? 'page' : undefined}
          onClick={onNavigate}
          aria-label={`${c.kind === 'direct' ? 'Direct message with ' : c.kind === 'private' ? 'Private channel ' : 'Channel '}${label}${describe ? `, ${describe}` : ''}`}
        >
          <span className="side-icon" aria-hidden="true">
            {c.kind === 'direct' ? (
              <Avatar userId={c.dmWith?.id ?? c.id} user={c.dmWith ? people.get(c.dmWith.id) : undefined} size={20} />
            ) : c.kind === 'private' ? (
              <LockIcon />
            ) : (
              <HashIcon />
            )}
          </span>
          <span className="side-label">{label}</span>
          {mentionCount ? (
            <span className="badge mention" aria-hidden="true">
              @{mentionCount}
            </span>
          ) : unread ? (
            <span className="badge" aria-hidden="true">
              {unread > 99 ? '99+' : unread}
            </span>
          ) : null}
        </Link>
      </li>
    );
  }

  return (
    <nav ref={navRef} className="sidebar" aria-label="Channels and direct messages">
      <div className="sidebar-head">
        <BrandMark name={appName} logoUrl={tenant?.branding.logoUrl} />
        <div className="sidebar-title">
          <strong>{appName}</strong>
          {trialDays !== null ? <span className="trial">Pro trial · {trialDays === 1 ? '1 day' : `${trialDays} days`} left</span> : null}
        </div>
      </div>
      <div className="sidebar-scroll">
        <section aria-labelledby="channels-heading">
          <div className="side-section-head">
            <h2 id="channels-heading">Channels</h2>
            <Menu
              label="Add channels"
              icon={<PlusIcon />}
              items={[
                { label: 'Create a channel', onSelect: () => setDialog('create') },
                { label: 'Browse channels', onSelect: () => setDialog('browse') },
              ]}
            />
          </div>
          <ul className="side-list">{mine.map(item)}</ul>
          {!mine.length ? (
            <button type="button" className="link-btn side-empty" onClick={() => setDialog('browse')}>
              Find channels to join
            </button>
          ) : null}
        </section>
        {dmsAllowed ? (
          <section aria-labelledby="dms-heading">
            <div className="side-section-head">
              <h2 id="dms-heading">Direct messages</h2>
              <button type="button" className="icon-btn" aria-label="New direct message" onClick={() => setDialog('dm')}>
                <PlusIcon />
              </button>
            </div>
            <ul className="side-list">{dms.map(item)}</ul>
          </section>
        ) : null}
      </div>
      <div className="sidebar-foot">
        {manager ? (
          <button type="button" className="btn btn-sm btn-block" onClick={() => setDialog('invite')}>
            Invite people
          </button>
        ) : null}
        <div className="me-row">
          <Avatar userId={me.id} user={me} size={30} />
          <div className="me-name">
            <strong>{me.displayName}</strong>
            <span className="muted">{me.email}</span>
          </div>
          <Menu
            label="Your account"
            icon={<span aria-hidden="true">⋯</span>}
            align="start"
            items={[...(manager ? [{ label: 'Workspace admin', onSelect: () => navigate('/admin') }, { label: 'Billing and plan', onSelect: () => navigate('/billing') }] : []), { label: 'Sign out', onSelect: onSignOut }]}
          />
        </div>
      </div>
      {dialog === 'create' ? <CreateChannelDialog onClose={() => setDialog(null)} /> : null}
      {dialog === 'browse' ? <BrowseChannelsDialog onClose={() => setDialog(null)} /> : null}
      {dialog === 'dm' ? <NewDmDialog onClose={() => setDialog(null)} /> : null}
      {dialog === 'invite' ? <InviteDialog onClose={() => setDialog(null)} /> : null}
    </nav>
  );
}
