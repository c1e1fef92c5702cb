/**
 * The three Personalize clients the console signs its requests with, built from the user's settings. Only the
 * client classes and the commands the pages import are bundled.
 */
import { PersonalizeClient } from '@aws-sdk/client-personalize';
import { PersonalizeEventsClient } from '@aws-sdk/client-personalize-events';
import { PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import type { Settings } from './session';

export interface Clients {
  readonly control: PersonalizeClient;
  readonly runtime: PersonalizeRuntimeClient;
  readonly events: PersonalizeEventsClient;
}

export function makeClients(s: Settings): Clients {
  const config = {
    endpoint: s.endpoint,
    region: s.region,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    // The console shows errors as they come; retrying a refused signature would only delay the message.
    maxAttempts: 1,
  };
  return {
    control: new PersonalizeClient(config),
    runtime: new PersonalizeRuntimeClient(config),
    events: new PersonalizeEventsClient(config),
  };
}

/** `InvalidInputException: <message>` for SDK errors, the message otherwise. */
export function describeError(err: unknown): string {
  if (err instanceof Error)
    return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}
