/**
 * Requests signed by botocore 1.43.11 (the library under boto3 and the AWS CLI) with the test key pair in
 * `signing.ts`, region us-west-2, captured before sending. Only the headers botocore signed, plus the `Host` and
 * `Content-Length` its HTTP client sends, are kept. botocore signs the stage path without a trailing slash.
 */
export interface RecordedRequest {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export const BOTOCORE_REQUESTS: readonly RecordedRequest[] = [
  {
    name: 'personalize',
    method: 'POST',
    path: '/prod',
    headers: {
      'X-Amz-Target': 'AmazonPersonalize.CreateDatasetGroup',
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Date': '20261129T024346Z',
      Authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDOPENPERSONALIZE1/20261129/us-west-2/personalize/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=9f2678c78abd8c64902a2e259736eb57827e69cb2143326ee491a09dccd8a0c5',
      'Content-Length': '18',
      Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    },
    body: '{"name": "movies"}',
  },
  {
    name: 'personalize-events',
    method: 'POST',
    path: '/prod/events',
    headers: {
      'Content-Type': 'application/json',
      'X-Amz-Date': '20261129T024346Z',
      Authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDOPENPERSONALIZE1/20261129/us-west-2/personalize/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=6146f4b2a2145e927c5127b34f739102ebb5b86bfb1a2585e3057e3ac7089902',
      'Content-Length': '129',
      Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    },
    body: '{"trackingId": "t", "sessionId": "s", "eventList": [{"eventType": "click", "sentAt": 1700000000, "properties": "{\\"a\\":\\"b\\"}"}]}',
  },
];
