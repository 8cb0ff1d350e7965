import {
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { describeError } from "../errors.ts";
import { compact } from "../objects.ts";
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
  let taskHandle = running?.TaskHandle;
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

  let moved = 0;
  let toMove: number | undefined;
  while (true) {
    if (options.signal?.aborted) return compact({ kind: "detached", taskHandle, moved, toMove });
    await options.sleep(options.pollMs);
    let current: ListMessageMoveTasksResultEntry | undefined;
    try {
      current = pickTask(await listTasks(sqs, options.sourceArn), taskHandle);
    } catch (error) {
      throw new EnvironmentError(
        `lost track of the move task (${describeError(error)}); it goes on in SQS. Follow it with: aws sqs list-message-move-tasks --source-arn ${options.sourceArn}`,
        { cause: error },
      );
    }
    if (!current) continue;
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

async function listTasks(sqs: SqsApi, sourceArn: string) {
  const { Results = [] } = await sqs.send(
    new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }),
  );
  return Results;
}

/**
 * SQS reports the TaskHandle only while a task runs; once it has ended, ours is the most
 * recent entry (results are newest first and only one task per queue can be active).
 */
function pickTask(
  tasks: readonly ListMessageMoveTasksResultEntry[],
  taskHandle: string | undefined,
): ListMessageMoveTasksResultEntry | undefined {
  return tasks.find((task) => taskHandle && task.TaskHandle === taskHandle) ?? tasks[0];
}

/** UnsupportedOperation from SQS; InvalidAction/UnknownOperation from emulators without the API. */
function isUnsupported(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? "";
  return ["UnsupportedOperation", "InvalidAction", "UnknownOperationException"].includes(name);
}
