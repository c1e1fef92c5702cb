/**
 * A child process of the local runtime that runs CPU-bound functions (`cpuBound` in `WORKERS`) off the primary's
 * event loop: the parent sends `{ type: 'invoke', id, file, event }`, the child loads `lambdas/handlers/<file>.ts`
 * (once) and answers `{ type: 'outcome', id, outcome }` with the result or Lambda's error payload, so a failure
 * reaches Step Functions' `Retry`/`Catch` with the same name as in-process. A campaign a function changes is named
 * to the parent (`campaign-changed`), whose serving path forgets its cached record as if the change were its own. Invocations overlap as they would in one
 * process. The environment (emulator endpoints, credentials, table and bucket names) is the parent's, inherited at
 * fork. The child exits when its parent goes away, so a killed runtime leaves no step running behind it.
 */
import { onCampaignForgotten } from '../lambdas/services/campaigns';
import { errorPayload, type InvokeOutcome, requireHandler } from './functions';

export type ParentMessage = {
  readonly type: 'invoke';
  readonly id: number;
  readonly file: string;
  readonly event: unknown;
};

export type ChildMessage =
  | { readonly type: 'outcome'; readonly id: number; readonly outcome: InvokeOutcome }
  /** A function changed the campaign (an automatic update): the parent's serving path must read it anew. */
  | { readonly type: 'campaign-changed'; readonly arn: string };

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function run(message: ParentMessage): Promise<InvokeOutcome> {
  try {
    const result = await requireHandler(message.file)(message.event);
    // What crosses the wire in Lambda is JSON: `undefined` fields and Dates come out as they would there.
    return { ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) };
  } catch (err) {
    return { ok: false, error: errorPayload(err) };
  }
}

function main(): void {
  // Sent before the outcome of the invocation that changed the campaign: the channel keeps the order.
  onCampaignForgotten((arn) => send({ type: 'campaign-changed', arn }));
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'invoke') return;
    void run(message).then((outcome) => send({ type: 'outcome', id: message.id, outcome }));
  });
  process.on('disconnect', () => process.exit(0));
  process.on('unhandledRejection', (reason) =>
    console.error('[lambda] unhandled promise rejection:', reason),
  );
  // A terminal's Ctrl-C reaches every process of the group; the parent decides when this one ends.
  process.on('SIGINT', () => undefined);
}

if (require.main === module) main();
