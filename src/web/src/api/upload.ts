import { rateLimitWait, waitOutRateLimit } from './client';
import { ApiError, errorFromBody } from './errors';
import type { AttachmentView } from './types';

/**
 * Uploads one file into a channel (raw body, its type as Content-Type, `?filename=`), with
 * progress. XMLHttpRequest because fetch cannot report upload progress. A short `rate_limited`
 * is waited out and the upload sent again, as every other request is (api/client.ts).
 */
export interface UploadHandle {
  promise: Promise<AttachmentView>;
  abort(): void;
}

export function uploadFile(channelId: string, file: File, onProgress: (fraction: number) => void): UploadHandle {
  const cancel = new AbortController();
  let xhr: XMLHttpRequest | null = null;

  async function run(): Promise<AttachmentView> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await new Promise<AttachmentView>((resolve, reject) => {
          xhr = sendOnce(channelId, file, onProgress, resolve, reject);
        });
      } catch (err) {
        const wait = err instanceof ApiError ? rateLimitWait(err, attempt) : null;
        if (wait === null) throw err;
        onProgress(0);
        try {
          await waitOutRateLimit(wait, cancel.signal);
        } catch {
          throw cancelled();
        }
      }
    }
  }

  return {
    promise: run(),
    abort: () => {
      cancel.abort();
      xhr?.abort();
    },
  };
}

function sendOnce(channelId: string, file: File, onProgress: (fraction: number) => void, resolve: (a: AttachmentView) => void, reject: (e: ApiError) => void): XMLHttpRequest {
  const xhr = new XMLHttpRequest();
  xhr.open('POST', `/api/channels/${encodeURIComponent(channelId)}/attachments?filename=${encodeURIComponent(file.name)}`);
  xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
  xhr.setRequestHeader('accept', 'application/json');
  xhr.responseType = 'text';
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) onProgress(e.loaded / e.total);
  };
  xhr.onload = () => {
    let body: unknown = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch {
      /* described below */
    }
    if (xhr.status === 201 || xhr.status === 200) {
      const attachment = (body as { attachment?: AttachmentView } | null)?.attachment;
      if (attachment) return resolve(attachment);
      return reject(new ApiError(xhr.status, 'bad_response', 'The server did not describe the uploaded file.'));
    }
    reject(errorFromBody(xhr.status, body, (name) => xhr.getResponseHeader(name), xhr.status === 413 ? 'The file is too large.' : `Upload failed (${xhr.status}).`));
  };
  xhr.onerror = () => reject(new ApiError(0, 'network_error', 'The upload could not reach the server.'));
  xhr.onabort = () => reject(cancelled());
  xhr.send(file);
  return xhr;
}

function cancelled(): ApiError {
  return new ApiError(0, 'aborted', 'Upload cancelled.');
}
