import type { MessageSpyReader, S3SpyEvent } from "fauxqs";

export interface UploadWatcher {
  stop(): Promise<void>;
  /** Resolves once every upload seen so far has been handled. */
  settled(): Promise<void>;
}

/**
 * Calls `onUpload` once for each object written to one of `buckets`, in order, as S3 would
 * notify. The emulator has no S3 event notifications, so its spy feed of "uploaded" events
 * (PutObject, POST, CompleteMultipartUpload, CopyObject) stands in for them.
 */
export function watchUploads(
  spy: MessageSpyReader,
  buckets: ReadonlySet<string>,
  onUpload: (upload: S3SpyEvent) => Promise<void>,
  onError: (error: unknown, upload: S3SpyEvent) => void,
): UploadWatcher {
  const seen = new WeakSet<object>();
  let running = true;
  let inFlight: Promise<void> = Promise.resolve();
  let stopWaiting: (() => void) | undefined;
  const stopped = new Promise<undefined>((resolve) => {
    stopWaiting = () => resolve(undefined);
  });

  const loop = (async () => {
    while (running) {
      const next = await Promise.race([
        spy.waitForMessage(
          (message) =>
            message.service === "s3" &&
            message.status === "uploaded" &&
            buckets.has(message.bucket) &&
            !seen.has(message),
        ),
        stopped,
      ]);
      if (next?.service !== "s3") return;
      seen.add(next);
      // Handlers run concurrently (a replication lag must not hold up the next upload), but
      // are started in upload order.
      const upload = next;
      const handled = onUpload(upload).catch((error: unknown) => onError(error, upload));
      inFlight = Promise.all([inFlight, handled]).then(() => undefined);
    }
  })();

  return {
    async stop() {
      running = false;
      stopWaiting?.();
      await loop;
      await inFlight;
    },
    async settled() {
      await inFlight;
    },
  };
}
