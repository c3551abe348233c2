/**
 * Cloudflare's v4 envelope and its errors, so the SDK raises the same error classes it would
 * against the real API (BadRequestError for 400, PermissionDeniedError for 403, NotFoundError
 * for 404, ConflictError for 409, InternalServerError for 5xx) with the same `errors[].code`
 * the Worker's code may inspect. Codes and wording are Cloudflare's own (Cloudflare for SaaS,
 * "Status codes → Custom hostnames", and the API's general 7xxx/10000 codes).
 */
export interface ErrorItem {
  code: number;
  message: string;
  /** Cloudflare nests causes this way (e.g. 6111 under 6003). */
  error_chain?: { code: number; message: string }[];
}

export interface Envelope<T> {
  success: boolean;
  errors: ErrorItem[];
  messages: { code: number; message: string }[];
  result: T;
  result_info?: ResultInfo;
}

export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages: number;
}

export function envelope<T>(result: T, resultInfo?: ResultInfo): Envelope<T> {
  return { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) };
}

export class CloudflareApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errorChain?: { code: number; message: string }[],
  ) {
    super(message);
  }

  toBody(): Envelope<null> {
    const item: ErrorItem = { code: this.code, message: this.message, ...(this.errorChain ? { error_chain: this.errorChain } : {}) };
    return { success: false, errors: [item], messages: [], result: null };
  }
}

// ---- authentication and routing (the API's general codes) ----

/** A token that is missing, unknown, or not allowed on the zone: Cloudflare's 403 code 10000. */
export const authenticationError = () => new CloudflareApiError(403, 10000, 'Authentication error');

/** An Authorization header that is not `Bearer <token>`. */
export const badAuthorizationHeader = () =>
  new CloudflareApiError(400, 6003, 'Invalid request headers', [{ code: 6111, message: 'Invalid format for Authorization header' }]);

export const noRoute = () => new CloudflareApiError(400, 7000, 'No route for that URI');

export const methodNotAllowed = (method: string) => new CloudflareApiError(405, 7001, `Method ${method} not allowed for this URI.`);

/** A zone id that is malformed (400) or that this token's account does not have (404). */
export function zoneNotRoutable(path: string, status: 400 | 404): CloudflareApiError {
  return new CloudflareApiError(status, 7003, `Could not route to ${path}, perhaps your object identifier is invalid?`);
}

// ---- custom hostnames (14xx) ----

export const badJson = () => new CloudflareApiError(400, 1400, 'Unable to decode the JSON request body. Check your input and try again.');
export const badMetadata = () => new CloudflareApiError(400, 1401, 'Unable to encode the Custom Metadata as JSON. Check your input and try again.');
export const invalidHostname = () =>
  new CloudflareApiError(400, 1407, 'Invalid custom hostname. Custom hostnames have to be smaller than 256 characters in length, cannot be IP addresses, cannot contain any special characters such as ``~`!@#$%^&*()=+{}[]\\. Check your input and try again.');
export const nonAsciiHostname = () => new CloudflareApiError(400, 1408, 'Custom hostnames with non-ASCII characters are not supported. Check your input and try again.');
export const reservedTopDomain = () =>
  new CloudflareApiError(400, 1409, "Reserved top domain custom hostnames, such as 'test', 'example', 'invalid' or 'localhost', is not supported. Check your input and try again.");
export const unparsableHostname = (hostname: string) =>
  new CloudflareApiError(400, 1410, `Unable to parse custom hostname - publicsuffix: cannot derive eTLD+1 for domain "${hostname}". Check your input and try again.`);
export const exampleDomain = () => new CloudflareApiError(400, 1411, 'Custom hostnames ending in example.com, example.net, or example.org are prohibited. Check your input and try again.');
export const badValidationMethod = () => new CloudflareApiError(400, 1432, "The validation method is not supported. Only 'http', 'email', or 'txt' are accepted. Check your input and try again.");
export const badValidationType = () => new CloudflareApiError(400, 1433, "The validation type is not supported. Only 'dv' is accepted. Check your input and try again.");
export const badSslAttribute = () => new CloudflareApiError(400, 1434, 'The SSL attribute is invalid. Refer to the API documentation, check your input and try again.');
export const invalidHostnameId = () => new CloudflareApiError(400, 1435, 'The custom hostname ID is invalid. Check your input and try again.');
export const hostnameNotFound = () => new CloudflareApiError(404, 1436, 'The custom hostname was not found.');
export const badContainFilter = () => new CloudflareApiError(400, 1437, 'Invalid hostname.contain query parameter. The hostname.contain query parameter has to be smaller than 256 characters in length, cannot be IP addresses, cannot contain any special characters. Check your input and try again.');
export const idWithOtherFilters = () => new CloudflareApiError(400, 1438, 'Cannot specify other filter parameters in addition to `id`. Only one must be specified. Check your input and try again.');
export const hostnameNotModifiable = () => new CloudflareApiError(409, 1439, 'Modifying the custom hostname is not supported. Check your input and try again.');
export const methodAndTypeRequired = () => new CloudflareApiError(400, 1440, 'Both validation type and validation method are required. Check your input and try again.');
export const wildcardManagedCertificate = () => new CloudflareApiError(400, 1448, 'Custom hostnames with wildcards are not supported for certificates managed by Cloudflare. Review your input and try again.');
export const duplicateHostname = () => new CloudflareApiError(409, 1406, 'Duplicate custom hostname found.');

/** What a planned failure answers with, unless the rule gives its own code and message. */
export function plannedFailure(status: number, code?: number, message?: string): CloudflareApiError {
  if (status === 429) return new CloudflareApiError(429, code ?? 971, message ?? 'Please wait and consider throttling your request speed');
  if (status >= 500) return new CloudflareApiError(status, code ?? 1500, message ?? 'Internal Server Error');
  return new CloudflareApiError(status, code ?? 1000, message ?? `Injected failure from the Cloudflare fake (HTTP ${status}).`);
}
