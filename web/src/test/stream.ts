import { HttpResponse } from 'msw';

const encoder = new TextEncoder();

/** NDJSON text of `lines` (objects as JSON, strings as they are), each ended by a newline. */
export function ndjson(lines: readonly unknown[]): string {
  return lines.map((line) => `${typeof line === 'string' ? line : JSON.stringify(line)}\n`).join('');
}

/** A body that yields `chunks` one read at a time. */
export function bodyOf(chunks: readonly (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const queue = chunks.map((c) => (typeof c === 'string' ? encoder.encode(c) : c));
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = queue.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

/** `bytes` cut into pieces of `size` bytes (cutting through lines and UTF-8 characters alike). */
export function split(text: string, size: number): Uint8Array[] {
  const bytes = encoder.encode(text);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.slice(at, at + size));
  return pieces;
}

/** An export answer with these lines. */
export function exportResponse(lines: readonly unknown[]): HttpResponse<ReadableStream<Uint8Array>> {
  return new HttpResponse(bodyOf([ndjson(lines)]), { headers: { 'Content-Type': 'application/x-ndjson' } });
}

/** An export the test feeds line by line, and sees cancelled. */
export function feed() {
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  let onCancel: () => void = () => undefined;
  const cancelled = new Promise<void>((resolve) => {
    onCancel = resolve;
  });
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      onCancel();
    },
  });
  return {
    response: () => new HttpResponse(body, { headers: { 'Content-Type': 'application/x-ndjson' } }),
    send: (...lines: unknown[]) => controller?.enqueue(encoder.encode(ndjson(lines))),
    close: () => controller?.close(),
    cancelled,
  };
}

export const start = (total: number | null) => ({ type: 'start', total });
export const cursor = (value: string, count: number) => ({ type: 'cursor', cursor: value, count });
export const end = (count: number) => ({ type: 'end', count, checkpoint: 'eyJ2IjoxfQ' });
export const errorLine = (code: string, detail = `Problem: ${code}`) => ({ type: 'error', code, detail });
