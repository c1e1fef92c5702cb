import { PersonalizeClient } from '@aws-sdk/client-personalize';
import { PersonalizeEventsClient } from '@aws-sdk/client-personalize-events';
import { PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import { S3Client } from '@aws-sdk/client-s3';
import type { Runtime } from '../../local/runtime';

/** The official SDK clients a benchmark drives a local runtime with: its API, signed with its key pair, and its S3. */
export interface RuntimeClients {
  readonly personalize: PersonalizeClient;
  readonly personalizeRuntime: PersonalizeRuntimeClient;
  readonly events: PersonalizeEventsClient;
  readonly s3: S3Client;
  /** Closes every client's connections. */
  destroy(): void;
}

export function runtimeClients(runtime: Runtime): RuntimeClients {
  const api = { endpoint: runtime.endpoint, region: runtime.region, credentials: runtime.apiCredentials };
  const clients = {
    personalize: new PersonalizeClient(api),
    personalizeRuntime: new PersonalizeRuntimeClient(api),
    events: new PersonalizeEventsClient(api),
    s3: new S3Client({
      endpoint: runtime.s3Endpoint,
      region: runtime.region,
      credentials: runtime.s3Credentials,
      forcePathStyle: true,
      // A streamed body would otherwise be sent aws-chunked, which the embedded S3 stores verbatim.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  };
  return {
    ...clients,
    destroy: () => {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}
