/**
 * Scripted HTTP from Node to the Worker, for what a test sets up without the UI (a workspace, a
 * channel, a second person's messages). Node's resolver does not know `*.localhost` and its
 * fetch cannot set Host, so every request connects to 127.0.0.1:<port> with the host in the
 * Host header, exactly what a browser on `<slug>.localhost` sends. Free of vitest: tests use
 * the `api` of ./context.ts, bench/web.ts makes its own with `new NchatApi(() => info)`.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import { workspaceUrlOf, type StackInfo } from './stack-info';

export interface ApiResponse<T = any> {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON (null when empty; the text when it is not JSON). */
  body: T;
  text: string;
}

export interface ApiRequestOptions {
  /** A session token (from createWorkspace or signIn) or the admin token: `Authorization: Bearer`. */
  token?: string;
  /** Sent as JSON; a string is sent as it is. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface WorkspaceInput {
  name: string;
  slug: string;
  ownerEmail: string;
  ownerName: string;
  ownerPassword: string;
  plan: 'free' | 'pro' | 'enterprise' | 'custom';
  trial: boolean;
}

export interface Workspace {
  id: string;
  slug: string;
  name: string;
  /** `http://<slug>.localhost:<port>`, as the API answered it. */
  url: string;
  /** The owner's session token (Authorization: Bearer, or the session cookie: Person.signIn). */
  token: string;
  owner: { id: string; email: string; name: string; password: string };
  /** The API's whole tenant view. */
  tenant: Record<string, any>;
}

export interface Member {
  id: string;
  name: string;
  email: string;
  password: string;
  role: string;
  /** Their session token (Person.signIn, or Authorization: Bearer). */
  token: string;
}

/** A slug no other test uses: `<prefix>-<10 random characters>`. */
export function uniqueSlug(prefix = 'bt'): string {
  return `${prefix}-${randomBytes(8).toString('hex').slice(0, 10)}`;
}

/** A client address of its own (10.x.y.z), sent as CF-Connecting-IP: what wrangler dev, like Cloudflare, tells the Worker. */
export function uniqueClientIp(): string {
  const b = randomBytes(3);
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export class NchatApi {
  constructor(private readonly info: () => StackInfo) {}

  /** One request to `host` (without port: `localhost`, `acme.localhost`, or a custom domain). */
  request<T = any>(host: string, method: string, path: string, options: ApiRequestOptions = {}): Promise<ApiResponse<T>> {
    const { port } = this.info();
    const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const headers: Record<string, string | number> = { host: `${host}:${port}`, accept: 'application/json', ...options.headers };
    if (payload !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, text });
        });
      });
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** On the platform host (`localhost`): sign-up, the platform operator API. */
  platform<T = any>(method: string, path: string, options?: ApiRequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>(this.info().baseDomain, method, path, options);
  }

  /** On a workspace host (`<slug>.localhost`), usually with a session token. */
  workspace<T = any>(slug: string, method: string, path: string, options?: ApiRequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>(`${slug}.${this.info().baseDomain}`, method, path, options);
  }

  /** As the platform operator (the admin token). */
  admin<T = any>(method: string, path: string, options: Omit<ApiRequestOptions, 'token'> = {}): Promise<ApiResponse<T>> {
    return this.platform<T>(method, path, { ...options, token: this.info().adminToken });
  }

  /**
   * A new workspace through POST /api/tenants/create on the platform host, for tests that do
   * not go through the sign-up UI. Sent as the platform operator by default, so the sign-up
   * limit (5 an hour per address) does not apply; `{ asAdmin: false }` signs up as the public
   * does, from `clientIp` (default: an address of its own). Throws unless the answer is 201.
   */
  async createWorkspace(input: Partial<WorkspaceInput> = {}, options: { asAdmin?: boolean; clientIp?: string } = {}): Promise<Workspace> {
    const slug = input.slug ?? uniqueSlug();
    const full: WorkspaceInput = {
      name: `Workspace ${slug}`,
      ownerEmail: `owner@${slug}.test`,
      ownerName: 'Owner',
      ownerPassword: 'correct horse battery staple',
      plan: 'free',
      trial: false,
      ...input,
      slug,
    };
    const asAdmin = options.asAdmin !== false;
    const res = await this.platform('POST', '/api/tenants/create', {
      body: full,
      token: asAdmin ? this.info().adminToken : undefined,
      headers: { 'cf-connecting-ip': options.clientIp ?? uniqueClientIp() },
    });
    if (res.status !== 201) throw new Error(`POST /api/tenants/create answered ${res.status}: ${res.text}`);
    const b = res.body as { tenant: Record<string, any>; owner: { id: string }; token: string; url: string };
    return {
      id: String(b.tenant.id),
      slug,
      name: full.name,
      url: b.url ?? workspaceUrlOf(this.info(), slug),
      token: b.token,
      owner: { id: b.owner.id, email: full.ownerEmail, name: full.ownerName, password: full.ownerPassword },
      tenant: b.tenant,
    };
  }

  /**
   * A second person in a workspace, through the API as the app would: the owner invites
   * (POST /api/invitations), the invitee accepts (POST /api/invitations/:token/accept).
   * Returns their account and session token. Throws unless both succeed.
   */
  async addMember(workspace: Pick<Workspace, 'slug' | 'token'>, input: { name?: string; email?: string; password?: string; role?: 'member' | 'admin' | 'guest' } = {}): Promise<Member> {
    const name = input.name ?? 'Member';
    const email = input.email ?? `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}.${randomBytes(3).toString('hex')}@${workspace.slug}.test`;
    const password = input.password ?? 'correct horse battery staple';
    const invited = await this.workspace(workspace.slug, 'POST', '/api/invitations', { token: workspace.token, body: { email, role: input.role ?? 'member' } });
    if (invited.status !== 201) throw new Error(`POST /api/invitations on ${workspace.slug} answered ${invited.status}: ${invited.text}`);
    const inviteToken = String((invited.body as { acceptUrl: string }).acceptUrl).split('/').pop()!;
    const accepted = await this.workspace(workspace.slug, 'POST', `/api/invitations/${inviteToken}/accept`, { body: { displayName: name, password } });
    if (accepted.status !== 201) throw new Error(`POST /api/invitations/:token/accept on ${workspace.slug} answered ${accepted.status}: ${accepted.text}`);
    const b = accepted.body as { user: { id: string; role: string }; token: string };
    return { id: b.user.id, name, email, password, role: b.user.role, token: b.token };
  }

  /** POST /api/auth/login on the workspace: the session token and the user. Throws unless 200. */
  async signIn(slug: string, email: string, password: string): Promise<{ token: string; user: Record<string, any> }> {
    const res = await this.workspace(slug, 'POST', '/api/auth/login', { body: { email, password } });
    if (res.status !== 200) throw new Error(`POST /api/auth/login on ${slug} answered ${res.status}: ${res.text}`);
    return res.body as { token: string; user: Record<string, any> };
  }
}
