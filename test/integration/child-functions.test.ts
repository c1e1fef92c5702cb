/**
 * The child processes that run the local runtime's CPU-bound functions: a handler's error comes back as Lambda's
 * error payload with its name, and a child that dies fails what it was running with `Runtime.ExitError`; the next
 * invocation gets a new child.
 */
import { ChildFunctions } from '../../local/child-functions';
import { startTestRuntime, type TestRuntime } from './harness';

let t: TestRuntime;
const children = new ChildFunctions();

beforeAll(async () => {
  jest.resetModules();
  // Sets the handlers' environment (emulator endpoints, tables) that the children inherit.
  t = await startTestRuntime();
});
afterAll(async () => {
  await children.close();
  await t?.stop();
});

const missing = 'arn:aws:personalize:us-east-1:000000000000:solution/none/version/none';

it("returns a handler's error by name, and fails the invocations of a child that dies", async () => {
  const killed = children.invoke('training-train', { solutionVersionArn: missing });
  const [pid] = children.pids;
  process.kill(pid as number, 'SIGKILL');
  await expect(killed).resolves.toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
  expect(children.pending).toBe(0);

  // A version that does not exist reads as stopped to the step, which says so by its error name.
  const outcome = await children.invoke('training-train', { solutionVersionArn: missing });
  expect(outcome).toMatchObject({ ok: false, error: { errorType: 'TrainingStoppedError' } });
  expect(children.pids).toHaveLength(1);
  expect(children.pids[0]).not.toBe(pid);
});
