import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import type { PlatformInfo } from '../api/types';
import { workspaceOrigin } from '../lib/hosts';
import { slugProblem } from '../lib/slug';

/** The platform host's front page: what nchat is, sign-up, and the way to one's own workspace. */
export default function Landing({ platform }: { platform: PlatformInfo }) {
  const [slug, setSlug] = useState('');
  const [finderError, setFinderError] = useState<string | null>(null);
  const baseDomain = platform.baseDomain;

  function goToWorkspace(e: FormEvent) {
    e.preventDefault();
    const s = slug.trim().toLowerCase();
    if (!s) return;
    // Only a valid address becomes a host name: anything else could point the browser elsewhere.
    const problem = slugProblem(s);
    if (problem) return setFinderError(`That is not a workspace address. ${problem}`);
    location.assign(`${workspaceOrigin(s, baseDomain)}/login`);
  }

  return (
    <div className="landing">
      <header className="landing-nav">
        <a className="landing-logo" href="/">
          <span className="auth-brand" style={{ margin: 0 }}>
            <span className="mark" aria-hidden="true">n</span>
          </span>
          nchat
        </a>
        <nav aria-label="Account">
          <Link href="/signup" className="btn btn-primary">
            Create a workspace
          </Link>
        </nav>
      </header>
      <main>
        <section className="landing-hero" aria-labelledby="hero-title">
          <div>
            <h1 id="hero-title">Your team's conversations, in one calm place.</h1>
            <p className="lead">
              Channels, direct messages, threads and files for your whole team, at your own address. Messages arrive the moment they are sent, on every device.
            </p>
            <div className="landing-cta">
              <Link href="/signup" className="btn btn-primary">
                Start for free
              </Link>
              <Link href="/signup?plan=trial" className="btn">
                Try Pro free for {platform.trialDays} days
              </Link>
            </div>
            <form className="workspace-finder" onSubmit={goToWorkspace} aria-label="Go to your workspace" style={{ marginTop: 28 }}>
              <label htmlFor="finder" className="visually-hidden">
                Your workspace's address
              </label>
              <div className="input-group" style={{ flex: 1 }}>
                <input
                  id="finder"
                  className="input"
                  placeholder="your-team"
                  value={slug}
                  onChange={(e) => {
                    setSlug(e.target.value);
                    setFinderError(null);
                  }}
                  autoCapitalize="off"
                  spellCheck={false}
                  aria-invalid={finderError ? true : undefined}
                  aria-describedby={finderError ? 'finder-error' : undefined}
                />
                <span className="addon">.{baseDomain}</span>
              </div>
              <button className="btn" type="submit">
                Sign in
              </button>
            </form>
            {finderError ? (
              <p id="finder-error" className="form-error" role="alert" style={{ marginTop: 8 }}>
                {finderError}
              </p>
            ) : null}
          </div>
          <div className="landing-preview" aria-hidden="true">
            {[0.9, 0.6, 0.75, 0.45].map((width, i) => (
              <div className="row" key={i}>
                <span className="preview-avatar" style={{ opacity: 1 - i * 0.18 }} />
                <div style={{ flex: 1 }}>
                  <span className="preview-line short" />
                  <span className="preview-line" style={{ width: `${width * 100}%` }} />
                </div>
              </div>
            ))}
          </div>
        </section>
        <section className="landing-features" aria-label="What you get">
          <ul>
            <li>
              <h2>Channels and DMs</h2>
              <p>Public and private channels for every topic, and direct messages for everything else.</p>
            </li>
            <li>
              <h2>Realtime, always</h2>
              <p>New messages, reactions and typing appear instantly, and nothing is lost when your connection drops.</p>
            </li>
            <li>
              <h2>Threads and files</h2>
              <p>Keep side conversations in threads; share images and documents with a preview.</p>
            </li>
            <li>
              <h2>Your own address</h2>
              <p>Every workspace lives at its own address, with its own name, logo and colours.</p>
            </li>
          </ul>
        </section>
      </main>
    </div>
  );
}
