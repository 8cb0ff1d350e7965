import {
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { describeError } from "../../shared/errors.ts";
import { compact } from "../../shared/objects.ts";
import { EnvironmentError, explainAwsError } from "./errors.ts";
import type { SqsApi } from "./queues.ts";

export interface MoveTaskOptions {
  /** The DLQ's ARN. */
  readonly sourceArn: string;
  /** Omitted: SQS returns each message to the queue it was dead-lettered from. */
  readonly destinationArn?: string;
  /** ≤ 500; omitted lets SQS choose (it starts slow and speeds up). */
  readonly maxPerSecond?: number;
  readonly pollMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
  readonly onProgress?: (moved: number, toMove: number | undefined) => void;
}

export type MoveTaskOutcome =
  | {
      readonly kind: "finished";
      /** COMPLETED, FAILED or CANCELLED as SQS reports it. */
      readonly status: string;
      readonly moved: number;
      readonly toMove?: number;
      readonly failureReason?: string;
      /** True when a task was already running for this DLQ and we followed it. */
      readonly joined: boolean;
    }
  | {
      /** Ctrl-C: we stopped watching; the task goes on in SQS. */
      readonly kind: "detached";
      readonly taskHandle?: string;
      readonly moved: number;
      readonly toMove?: number;
    }
  /** This endpoint has no move tasks (an emulator), or SQS refused this queue. */
  | { readonly kind: "unsupported"; readonly reason: string };

const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/**
 * Runs SQS's own dead-letter redrive (StartMessageMoveTask) and follows it with
 * ListMessageMoveTasks until it ends. SQS allows one active task per source queue: if one is
 * running already, it is followed instead of starting another.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListMessageMoveTasks.html
 */
export async function runMoveTask(sqs: SqsApi, options: MoveTaskOptions): Promise<MoveTaskOutcome> {
  let tasks: ListMessageMoveTasksResultEntry[];
  try {
    tasks = await listTasks(sqs, options.sourceArn);
  } catch (error) {
    if (isUnsupported(error)) return { kind: "unsupported", reason: describeError(error) };
    throw explainAwsError(error, `listing move tasks of ${options.sourceArn}`);
  }
  const running = tasks.find((task) => task.Status === "RUNNING");
  if (running) refuseOtherDestination(running, options);
  let taskHandle = running?.TaskHandle;
  // Tasks listed before ours started: none of them may be reported as ours.
  const startedBefore = running ? undefined : latestStart(tasks);
  if (!running) {
    try {
      const started = await sqs.send(
        new StartMessageMoveTaskCommand(
          compact({
            SourceArn: options.sourceArn,
            DestinationArn: options.destinationArn,
            MaxNumberOfMessagesPerSecond: options.maxPerSecond,
          }),
        ),
      );
      taskHandle = started.TaskHandle;
    } catch (error) {
      if (isUnsupported(error)) return { kind: "unsupported", reason: describeError(error) };
      throw explainAwsError(error, `starting a move task for ${options.sourceArn}`);
    }
  }

  const ours: OurTask = { taskHandle, startedAt: running?.StartedTimestamp, startedBefore };
  let moved = 0;
  let toMove: number | undefined;
  let unidentified = 0;
  while (true) {
    if (options.signal?.aborted) return compact({ kind: "detached", taskHandle, moved, toMove });
    await options.sleep(options.pollMs);
    let current: ListMessageMoveTasksResultEntry | undefined;
    try {
      current = pickTask(await listTasks(sqs, options.sourceArn), ours);
    } catch (error) {
      throw lostTrack(options, describeError(error), error);
    }
    if (!current) {
      unidentified += 1;
      if (unidentified >= MAX_UNIDENTIFIED_POLLS) {
        throw lostTrack(options, `the task list has not shown it for ${unidentified} polls`);
      }
      continue;
    }
    unidentified = 0;
    moved = current.ApproximateNumberOfMessagesMoved ?? moved;
    toMove = current.ApproximateNumberOfMessagesToMove ?? toMove;
    options.onProgress?.(moved, toMove);
    if (current.Status && TERMINAL.has(current.Status)) {
      return compact({
        kind: "finished" as const,
        status: current.Status,
        moved,
        toMove,
        failureReason: current.FailureReason,
        joined: running !== undefined,
      });
    }
  }
}

/** Polls in a row that may pass without the list showing our task before we give up on it. */
const MAX_UNIDENTIFIED_POLLS = 30;

function lostTrack(options: MoveTaskOptions, why: string, cause?: unknown): EnvironmentError {
  return new EnvironmentError(
    `lost track of the move task (${why}); it goes on in SQS. Follow it with: aws sqs list-message-move-tasks --source-arn ${options.sourceArn}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * SQS runs one task per DLQ, so a running task is followed instead of starting ours; but only
 * if it moves where we were asked to: otherwise the report would name a destination the
 * messages are not going to.
 */
function refuseOtherDestination(
  running: ListMessageMoveTasksResultEntry,
  options: MoveTaskOptions,
) {
  if ((running.DestinationArn ?? "") === (options.destinationArn ?? "")) return;
  const where = (arn: string | undefined) =>
    arn ?? "the queues the messages were dead-lettered from";
  throw new EnvironmentError(
    [
      `a move task is already running for ${options.sourceArn}, moving messages to ${where(running.DestinationArn)}, not to ${where(options.destinationArn)}. SQS runs one move task per queue.`,
      `Let it finish (aws sqs list-message-move-tasks --source-arn ${options.sourceArn}) or cancel it`,
      `(aws sqs cancel-message-move-task --task-handle ${running.TaskHandle ?? "<TaskHandle from the list>"}), then run this again.`,
    ].join(" "),
  );
}

async function listTasks(sqs: SqsApi, sourceArn: string) {
  const { Results = [] } = await sqs.send(
    new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }),
  );
  return Results;
}

interface OurTask {
  readonly taskHandle: string | undefined;
  /** Our task's StartedTimestamp, once the list has shown it with our handle. */
  startedAt: number | undefined;
  /** The latest StartedTimestamp listed before we started ours (undefined: none, or joined). */
  readonly startedBefore: number | undefined;
}

/**
 * Finds our task in ListMessageMoveTasks. SQS fills TaskHandle only while a task runs, so a
 * finished one is recognised by its StartedTimestamp: ours once seen, else any task started
 * after every task listed before ours began. An older finished task is never taken for ours
 * (it would report COMPLETED with old counts); when nothing matches, the caller polls again.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListMessageMoveTasksResultEntry.html
 */
function pickTask(
  tasks: readonly ListMessageMoveTasksResultEntry[],
  ours: OurTask,
): ListMessageMoveTasksResultEntry | undefined {
  const byHandle =
    ours.taskHandle === undefined
      ? undefined
      : tasks.find((task) => task.TaskHandle === ours.taskHandle);
  if (byHandle) {
    ours.startedAt ??= byHandle.StartedTimestamp;
    return byHandle;
  }
  const candidates = tasks.filter((task) => {
    const started = task.StartedTimestamp;
    if (started === undefined) return false;
    if (task.TaskHandle !== undefined && task.Status === "RUNNING") return false;
    if (ours.startedAt !== undefined) return started >= ours.startedAt;
    return ours.startedBefore === undefined || started > ours.startedBefore;
  });
  // The earliest of them: a task someone started after ours ended is not ours.
  return candidates.sort((a, b) => (a.StartedTimestamp ?? 0) - (b.StartedTimestamp ?? 0))[0];
}

function latestStart(tasks: readonly ListMessageMoveTasksResultEntry[]): number | undefined {
  const starts = tasks.flatMap((task) =>
    task.StartedTimestamp === undefined ? [] : [task.StartedTimestamp],
  );
  return starts.length === 0 ? undefined : Math.max(...starts);
}

/** UnsupportedOperation from SQS; InvalidAction/UnknownOperation from emulators without the API. */
function isUnsupported(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? "";
  return ["UnsupportedOperation", "InvalidAction", "UnknownOperationException"].includes(name);
}
