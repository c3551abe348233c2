/**
 * The bad-input cases of one route, sent by a caller who may call it (A's owner, the platform
 * admin, Stripe's signature, nobody for public routes) with A's own valid ids, so that the one
 * broken thing in each request is what reaches the handler.
 *
 * `invalid` cases must be answered with the JSON error and a 4xx; `tolerated` ones (SQL and LIKE
 * characters in a search, an unknown query parameter, a value the route may read leniently) may
 * also succeed, but never with a 5xx. Either way, nothing may be written (checked per route with
 * A's fingerprint).
 */
import { b64url, baseQuery, fillPath, pathValues, queryString, siteHost, stripeSignature, uploadBody, type Probe } from './harness';
import { keyOf, type Field, type JsonBody, type Method, type ParamKind, type QueryKind, type RouteEntry } from './table';
import type { World } from './world';

export interface BadCase {
  kind: string;
  probe: Probe;
  expect: 'invalid' | 'tolerated';
  /** For tolerated cases that succeed: what must hold of the answer. */
  check?: (json: unknown) => string | null;
}

const NUL = '\u0000';
const MB = 1024 * 1024;
const SQL = "' OR '1'='1' --";
const LIKE = '%_\\';
/** A valid UUID nobody has. */
const unknownUuid = () => crypto.randomUUID();

/** The top-level lists of a 2xx body must be empty (a LIKE `%` must not match everything). */
function allListsEmpty(json: unknown): string | null {
  if (!json || typeof json !== 'object') return null;
  const full = Object.entries(json as Record<string, unknown>).filter(([, v]) => Array.isArray(v) && v.length > 0);
  return full.length ? `a search for LIKE/SQL characters matched: ${full.map(([k, v]) => `${k}: ${(v as unknown[]).length}`).join(', ')}` : null;
}

/** Builds raw JSON text: `valid` with field `name` set to the raw JSON `raw` (or removed when `raw` is null). */
function withRaw(valid: Record<string, unknown>, name: string, raw: string | null): string {
  const placeholder = `__RT_PLACEHOLDER_${crypto.randomUUID()}__`;
  const copy: Record<string, unknown> = { ...valid };
  if (raw === null) {
    delete copy[name];
    return JSON.stringify(copy);
  }
  copy[name] = placeholder;
  return JSON.stringify(copy).replace(JSON.stringify(placeholder), raw);
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** Wrong-type values (raw JSON) for a field kind. */
function wrongType(f: Field): string {
  switch (f.kind) {
    case 'int':
      return '"12"';
    case 'bool':
      return '"true"';
    case 'uuids':
      return '"not-a-list"';
    case 'object':
      return '["not", "an", "object"]';
    default:
      return '12345';
  }
}

const STRINGY = new Set(['text', 'format', 'url', 'enum', 'uuid']);
const CONSTRAINED = new Set(['format', 'url', 'enum', 'uuid']);

/** One case per broken field; `valid()` is called for each (a body may hold a fresh slug or e-mail). */
function fieldCases(body: JsonBody, valid: () => Record<string, unknown>): { kind: string; text: string }[] {
  const out: { kind: string; text: string }[] = [];
  for (const [name, f] of Object.entries(body.fields)) {
    const set = (kind: string, raw: string | null) => out.push({ kind: `${kind}:${name}`, text: withRaw(valid(), name, raw) });
    if (f.required) set('missing', null);
    set('wrong-type', wrongType(f));
    if (!f.nullable) set('null', 'null');
    set('nested', nested(2000));
    if (STRINGY.has(f.kind)) {
      set('1mb-string', JSON.stringify('x'.repeat(MB)));
      set('nul-byte', JSON.stringify(`a${NUL}b`));
      // The six characters \ud800 in the JSON text: JSON.parse gives a lone surrogate.
      set('lone-surrogate', '"a\\ud800b"');
      set('lone-low-surrogate', '"\\udc00"');
    }
    if (CONSTRAINED.has(f.kind)) {
      set('sql', JSON.stringify(SQL));
      set('like', JSON.stringify(LIKE));
    }
    if (f.kind === 'uuid') {
      set('not-uuid', '"not-a-uuid"');
      set('unknown-id', JSON.stringify(unknownUuid()));
    }
    if (f.kind === 'uuids') {
      set('not-uuid', '["not-a-uuid"]');
      set('unknown-id', JSON.stringify([unknownUuid()]));
      set('nul-byte', JSON.stringify([`a${NUL}b`]));
      set('huge-list', JSON.stringify(Array.from({ length: 5000 }, unknownUuid)));
    }
    if (f.kind === 'int') {
      set('huge-number', '1e400');
      set('unsafe-integer', '9007199254740993');
      set('negative', '-1');
      set('fraction', '1.5');
      if (f.ref) set('unknown-id', '999999999');
    }
  }
  return out;
}

/** Query values per kind: [case, raw (encoded) value, expectation]. */
function queryValues(kind: QueryKind, valid: string): [string, string, 'invalid' | 'tolerated'][] {
  const common: [string, string, 'invalid' | 'tolerated'][] = [
    ['nul-byte', '%00', 'invalid'],
    ['nul-inside', `${encodeURIComponent(valid)}%00`, 'invalid'],
    ['huge-string', 'x'.repeat(100_000), 'invalid'],
  ];
  const uuid = unknownUuid();
  switch (kind) {
    case 'like':
    case 'text':
      return [
        ...common,
        ['sql', encodeURIComponent(SQL), 'tolerated'],
        ['like-percent', '%25', 'tolerated'],
        ['like-underscore', '_', 'tolerated'],
        ['like-backslash', '%5C', 'tolerated'],
        // %ED%A0%80 is the (invalid) UTF-8 of a lone surrogate; %FF is no UTF-8 at all.
        ['lone-surrogate-utf8', '%ED%A0%80', 'tolerated'],
        ['invalid-utf8', '%FF', 'tolerated'],
      ];
    case 'format':
      return [...common, ['sql', encodeURIComponent(SQL), 'invalid'], ['like-percent', '%25', 'invalid'], ['lone-surrogate-utf8', '%ED%A0%80', 'invalid']];
    case 'enum':
      return [...common, ['bogus', 'bogus', 'invalid'], ['sql', encodeURIComponent(SQL), 'invalid']];
    case 'int':
      return [
        ...common,
        ['huge-number', '1e400', 'invalid'],
        ['too-many-digits', '99999999999999999999', 'invalid'],
        ['negative', '-1', 'invalid'],
        ['zero', '0', 'invalid'],
        ['fraction', '1.5', 'invalid'],
        ['not-a-number', 'NaN', 'invalid'],
        ['empty', '', 'invalid'],
      ];
    case 'seq':
      return [
        ...common,
        ['huge-number', '1e400', 'invalid'],
        ['too-many-digits', '9999999999999999', 'invalid'],
        ['negative', '-1', 'invalid'],
        ['fraction', '1.5', 'invalid'],
        ['not-a-number', 'abc', 'invalid'],
      ];
    case 'cursor':
      return [
        ...common,
        ['garbage', 'not!a!cursor', 'invalid'],
        ['not-json', b64url('not json'), 'invalid'],
        ['json-null', b64url('null'), 'invalid'],
        ['json-array', b64url('[1]'), 'invalid'],
        // Strings Date.parse accepts and Postgres does not.
        ['date-year-only', b64url(JSON.stringify({ t: '2026', id: uuid })), 'invalid'],
        ['date-year-zero', b64url(JSON.stringify({ t: '0000-01-01T00:00:00Z', id: uuid })), 'invalid'],
        ['date-max', b64url(JSON.stringify({ t: '+275760-09-13T00:00:00.000Z', id: uuid })), 'invalid'],
        ['name-nul', b64url(JSON.stringify({ n: `a${NUL}b`, id: uuid })), 'invalid'],
        ['name-surrogate', b64url('{"n":"\\ud800","id":"' + uuid + '"}'), 'invalid'],
        ['id-huge', b64url('{"id":99999999999999999999}'), 'invalid'],
        ['offset-huge', b64url('{"o":1e300}'), 'invalid'],
        ['offset-negative', b64url('{"o":-1}'), 'invalid'],
        ['invalid-utf8', btoa('\xff\xfe{').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'invalid'],
      ];
    case 'date':
      return [
        ...common,
        ['year-zero', '0000-01-01T00:00:00Z', 'invalid'],
        ['max-date', '%2B275760-09-13T00:00:00Z', 'invalid'],
        ['year-9999-offset', '9999-12-31T23:59:59-14:00', 'invalid'],
        ['not-a-date', 'yesterday', 'invalid'],
      ];
    case 'period':
      return [...common, ['future', '9999-12', 'invalid'], ['month-13', '2026-13', 'invalid'], ['not-a-period', 'last-month', 'invalid']];
    case 'flag':
    case 'token':
      return [
        ['nul-byte', '%00', 'tolerated'],
        ['sql', encodeURIComponent(SQL), 'tolerated'],
        ['huge-string', 'x'.repeat(100_000), 'tolerated'],
      ];
  }
}

/** Path parameter values per kind (encoded): [case, value]. All must be refused. */
function paramValues(kind: ParamKind, valid: string): [string, string][] {
  const common: [string, string][] = [
    ['nul-byte', '%00'],
    ['nul-suffix', `${encodeURIComponent(valid)}%00`],
    ['sql', encodeURIComponent(SQL)],
    ['very-long', 'a'.repeat(4000)],
    ['lone-surrogate-utf8', '%ED%A0%80'],
    ['dot-segments', '..%2F..%2Fx'],
  ];
  switch (kind) {
    case 'uuid':
      return [...common, ['not-uuid', 'not-a-uuid'], ['unknown-id', unknownUuid()], ['braced-uuid', `%7B${valid}%7D`], ['uuid-no-dashes', valid.replace(/-/g, '')]];
    case 'int':
      return [
        ...common,
        ['not-int', 'abc'],
        ['unknown-id', '999999'],
        ['negative', '-1'],
        ['zero', '0'],
        ['fraction', '1.5'],
        ['exponent', '1e3'],
        ['overflow', '99999999999999999999'],
        ['hex', '0x1'],
        ['uuid', unknownUuid()],
      ];
    case 'token':
      return [...common, ['garbage', 'not-a-token']];
    case 'emoji':
      return [...common, ['unknown-emoji', encodeURIComponent(':nope:')], ['not-emoji', 'abc'], ['long-shortcode', encodeURIComponent(`:${'a'.repeat(5000)}:`)]];
  }
}

export interface BadContext {
  A: World;
  /** The token that may call the entry (null: none, for public and Stripe routes). */
  actor: string | null;
  /** Methods app.routes has for this path (a wrong method is one of the others). */
  methodsOfPath: Method[] | null;
  /** Prefix of the Stripe event ids the suite sends (the fingerprint watches it). */
  eventPrefix: string;
}

export async function badInputCases(e: RouteEntry, ctx: BadContext): Promise<BadCase[]> {
  const o = ctx.A.o;
  const route = keyOf(e);
  const host = siteHost(e, o);
  const path = fillPath(e.path, pathValues(e, o));
  const query = baseQuery(e, o);
  const auth: Record<string, string> = ctx.actor ? { authorization: `Bearer ${ctx.actor}` } : {};
  if (e.websocket) auth['upgrade'] = 'websocket';
  const url = (p = path, q: [string, string][] = query) => `http://${host}${p}${queryString(q)}`;
  const cases: BadCase[] = [];
  const add = (kind: string, probe: Omit<Probe, 'route' | 'kind'>, expect: 'invalid' | 'tolerated' = 'invalid', check?: BadCase['check']) =>
    cases.push({ kind, probe: { route, kind, ...probe }, expect, ...(check ? { check } : {}) });
  const last: (() => void)[] = [];

  // The body the id and query cases send along: a valid one, so only the broken part is wrong.
  let validBody: { body?: string | Uint8Array; headers: Record<string, string> } = { headers: {} };
  const body = e.body;
  if (body?.kind === 'json') {
    const jsonCase = (kind: string, text: string, contentType = 'application/json') => add(kind, { method: e.method, url: url(), headers: { ...auth, 'content-type': contentType }, body: text });
    const valid = body.valid(o);
    validBody = { body: JSON.stringify(valid), headers: { 'content-type': 'application/json' } };
    jsonCase('invalid-json:truncated', '{"a":');
    jsonCase('invalid-json:single-quotes', "{'a': 1}");
    jsonCase('invalid-json:trailing-garbage', `${JSON.stringify(valid)}x`);
    jsonCase('invalid-json:bare-word', 'undefined');
    jsonCase('wrong-json-type:array', '[]');
    jsonCase('wrong-json-type:array-of-valid', `[${JSON.stringify(valid)}]`);
    jsonCase('wrong-json-type:string', '"text"');
    jsonCase('wrong-json-type:number', '42');
    jsonCase('wrong-json-type:null', 'null');
    jsonCase('wrong-json-type:true', 'true');
    if (body.emptyIsInvalid) {
      jsonCase('missing:all-fields', '{}');
      jsonCase('empty-body', '');
    }
    jsonCase('extra-field', JSON.stringify({ ...valid, unexpectedField: 1 }));
    jsonCase('extra-field:__proto__', JSON.stringify(valid).replace(/^\{/, '{"__proto__":{"role":"owner"},'));
    jsonCase('deeply-nested-body', nested(5000));
    jsonCase('1mb-body-string', JSON.stringify('x'.repeat(MB)));
    for (const c of fieldCases(body, () => body.valid(o))) jsonCase(c.kind, c.text);
    // Last: valid bodies whose only fault is the content type (a success here writes).
    last.push(() => jsonCase('wrong-content-type:text/plain', JSON.stringify(body.valid(o)), 'text/plain'));
    last.push(() => jsonCase('wrong-content-type:form', JSON.stringify(body.valid(o)), 'application/x-www-form-urlencoded'));
  } else if (body?.kind === 'upload') {
    const u = uploadBody();
    validBody = { body: u.body, headers: u.headers };
    const up = (kind: string, headers: Record<string, string>, data: string | Uint8Array) => add(kind, { method: e.method, url: url(), headers: { ...auth, ...headers }, body: data });
    up('upload:empty-body', { 'content-type': 'text/plain', 'content-length': '0' }, new Uint8Array(0));
    const garbage = 'this is not a multipart body';
    up('upload:multipart-garbage', { 'content-type': 'multipart/form-data; boundary=zz', 'content-length': String(garbage.length) }, garbage);
    up('upload:multipart-no-boundary', { 'content-type': 'multipart/form-data', 'content-length': String(garbage.length) }, garbage);
    const noFile = '--zz\r\nContent-Disposition: form-data; name="other"\r\n\r\nvalue\r\n--zz--\r\n';
    up('upload:multipart-without-file', { 'content-type': 'multipart/form-data; boundary=zz', 'content-length': String(noFile.length) }, noFile);
    const emptyFile = '--zz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n\r\n--zz--\r\n';
    up('upload:multipart-empty-file', { 'content-type': 'multipart/form-data; boundary=zz', 'content-length': String(emptyFile.length) }, emptyFile);
    up('upload:declared-length-too-large', { 'content-type': 'text/plain', 'content-length': String(200 * MB) }, 'small');
  } else if (body?.kind === 'stripe') {
    const prefix = `${ctx.eventPrefix}${crypto.randomUUID().replace(/-/g, '').slice(0, 8)}_`;
    let n = 0;
    const eventId = () => `${prefix}${n++}`;
    const signedCase = async (kind: string, payload: string, sign: { secret?: string; timestamp?: number } | 'none' | 'garbage' = {}) => {
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      if (sign === 'garbage') headers['stripe-signature'] = 't=1,v1=deadbeef';
      else if (sign !== 'none') headers['stripe-signature'] = await stripeSignature(payload, sign);
      add(kind, { method: e.method, url: url(), headers, body: payload });
    };
    const event = (over: Record<string, unknown>) => JSON.stringify({ ...body.valid(o), id: eventId(), ...over });
    await signedCase('signature:missing', event({}), 'none');
    await signedCase('signature:garbage', event({}), 'garbage');
    await signedCase('signature:wrong-secret', event({}), { secret: 'whsec_not_the_right_one' });
    await signedCase('signature:stale', event({}), { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    await signedCase('invalid-json:truncated', '{"id":');
    await signedCase('wrong-json-type:array', '[]');
    await signedCase('wrong-json-type:string', '"text"');
    await signedCase('wrong-json-type:number', '42');
    await signedCase('wrong-json-type:null', 'null');
    await signedCase('missing:all-fields', '{}');
    await signedCase('empty-body', '');
    await signedCase('missing:data', JSON.stringify({ id: eventId(), object: 'event', type: 'customer.subscription.updated' }));
    for (const type of ['customer.subscription.updated', 'checkout.session.completed', 'invoice.paid']) {
      await signedCase(`data-object-null:${type}`, event({ type, data: { object: null } }));
    }
    await signedCase('data-object-array', event({ data: { object: [] } }));
    await signedCase('data-object-string', event({ data: { object: 'x' } }));
    await signedCase('wrong-type:id', event({ id: 12345 }));
    await signedCase('wrong-type:type', event({ type: 12345 }));
    await signedCase('nul-byte:id', event({ id: `${eventId()}${NUL}` }));
    await signedCase('nul-byte:type', event({ type: `customer.subscription.updated${NUL}` }));
    await signedCase('lone-surrogate:type', event({}).replace('"customer.subscription.updated"', '"customer.subscription.updated\\ud800"'));
    await signedCase('deeply-nested-body', nested(5000));
    await signedCase('oversized-body', JSON.stringify({ id: eventId(), type: 'customer.subscription.updated', data: { object: { pad: 'x'.repeat(600 * 1024) } } }));
  }

  // Path parameters.
  for (const [name, p] of Object.entries(e.params ?? {})) {
    for (const [kind, value] of paramValues(p.kind, p.of(o))) {
      const values = { ...pathValues(e, o), [name]: value };
      add(`path:${name}:${kind}`, { method: e.method, url: url(fillPath(e.path, values)), headers: { ...auth, ...validBody.headers }, ...(validBody.body !== undefined ? { body: validBody.body } : {}) });
    }
  }

  // Query parameters.
  if (e.query && !e.bad?.skipQuery) {
    const send = (kind: string, q: [string, string][], expect: 'invalid' | 'tolerated', check?: BadCase['check']) =>
      add(kind, { method: e.method, url: url(path, q), headers: { ...auth, ...validBody.headers }, ...(validBody.body !== undefined ? { body: validBody.body } : {}) }, expect, check);
    for (const [name, q] of Object.entries(e.query)) {
      const valid = typeof q.valid === 'function' ? q.valid(o) : q.valid;
      const others = query.filter(([k]) => k !== name);
      for (const [kind, value, expect] of queryValues(q.kind, valid)) {
        send(`query:${name}:${kind}`, [...others, [name, value]], expect, q.kind === 'like' && expect === 'tolerated' && kind !== 'lone-surrogate-utf8' && kind !== 'invalid-utf8' ? allListsEmpty : undefined);
      }
      if (q.required) send(`query:${name}:missing`, others, 'invalid');
      send(`query:${name}:repeated`, [...others, [name, encodeURIComponent(valid)], [name, encodeURIComponent(valid)]], 'tolerated');
    }
    send('query:unknown-parameter', [...query, ['zzUnknown', '1']], 'tolerated');
  }

  for (const f of last) f();

  // Wrong methods (once per path: the first entry of the path carries them).
  for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    if (!ctx.methodsOfPath || ctx.methodsOfPath.includes(m)) continue;
    // Without `Upgrade`: a WebSocket handshake is a GET by definition (RFC 6455), and workerd
    // hands a non-GET request carrying `Upgrade: websocket` to the GET route.
    const { upgrade: _upgrade, ...plain } = auth;
    add(`wrong-method:${m}`, { method: m, url: url(), headers: { ...plain, ...(m === 'GET' ? {} : { 'content-type': 'application/json' }) }, ...(m === 'GET' ? {} : { body: '{}' }) });
  }
  return cases;
}
