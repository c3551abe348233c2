import { ApiError } from './errors';
import type { AttachmentView } from './types';

/**
 * Uploads one file into a channel (raw body, its type as Content-Type, `?filename=`), with
 * progress. XMLHttpRequest because fetch cannot report upload progress.
 */
export interface UploadHandle {
  promise: Promise<AttachmentView>;
  abort(): void;
}

export function uploadFile(channelId: string, file: File, onProgress: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<AttachmentView>((resolve, reject) => {
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
      const error = (body as { error?: { code: string; message: string; details?: Record<string, unknown>; requestId?: string } } | null)?.error;
      const retry = xhr.getResponseHeader('retry-after');
      reject(
        new ApiError(
          xhr.status,
          error?.code ?? `http_${xhr.status}`,
          error?.message ?? (xhr.status === 413 ? 'The file is too large.' : `Upload failed (${xhr.status}).`),
          error?.details,
          error?.requestId ?? null,
          retry && /^\d+$/.test(retry) ? Number(retry) : null,
        ),
      );
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'The upload could not reach the server.'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled.'));
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}
