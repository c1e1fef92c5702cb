/**
 * Amazon Personalize's exception vocabulary and the HTTP status each one has per service (spec §1.5).
 * Services and the store throw these; the protocol layer (`api/`) turns them into `__type` + `x-amzn-ErrorType`
 * responses.
 */
export type ServiceName = 'control' | 'runtime' | 'events';

export type ErrorName =
  | 'InvalidInputException'
  | 'ResourceNotFoundException'
  | 'ResourceAlreadyExistsException'
  | 'ResourceInUseException'
  | 'LimitExceededException'
  | 'InvalidNextTokenException'
  | 'TooManyTagsException'
  | 'TooManyTagKeysException'
  | 'UnknownOperationException'
  | 'SerializationException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException'
  | 'IncompleteSignature'
  | 'MissingAuthenticationToken'
  | 'AccessDeniedException'
  | 'ThrottlingException'
  | 'InternalFailure';

/** Control plane answers every modeled error with 400; runtime and events use 404 and 409 where modeled. */
const STATUS: Record<ErrorName, Record<ServiceName, number>> = {
  InvalidInputException: { control: 400, runtime: 400, events: 400 },
  ResourceNotFoundException: { control: 400, runtime: 404, events: 404 },
  ResourceAlreadyExistsException: { control: 400, runtime: 400, events: 400 },
  ResourceInUseException: { control: 400, runtime: 409, events: 409 },
  LimitExceededException: { control: 400, runtime: 400, events: 400 },
  InvalidNextTokenException: { control: 400, runtime: 400, events: 400 },
  TooManyTagsException: { control: 400, runtime: 400, events: 400 },
  TooManyTagKeysException: { control: 400, runtime: 400, events: 400 },
  UnknownOperationException: { control: 400, runtime: 400, events: 400 },
  SerializationException: { control: 400, runtime: 400, events: 400 },
  UnrecognizedClientException: { control: 403, runtime: 403, events: 403 },
  InvalidSignatureException: { control: 403, runtime: 403, events: 403 },
  IncompleteSignature: { control: 403, runtime: 403, events: 403 },
  MissingAuthenticationToken: { control: 403, runtime: 403, events: 403 },
  AccessDeniedException: { control: 403, runtime: 403, events: 403 },
  ThrottlingException: { control: 400, runtime: 400, events: 400 },
  InternalFailure: { control: 500, runtime: 500, events: 500 },
};

export class PersonalizeError extends Error {
  constructor(
    readonly errorName: ErrorName,
    message: string,
  ) {
    super(message);
    this.name = errorName;
  }

  statusFor(service: ServiceName): number {
    return STATUS[this.errorName][service];
  }
}

export const invalidInput = (message: string) => new PersonalizeError('InvalidInputException', message);
export const notFound = (message: string) => new PersonalizeError('ResourceNotFoundException', message);
export const alreadyExists = (arn: string) =>
  new PersonalizeError('ResourceAlreadyExistsException', `Another resource with Arn ${arn} already exists.`);
export const inUse = (message: string) => new PersonalizeError('ResourceInUseException', message);
export const limitExceeded = (message: string) => new PersonalizeError('LimitExceededException', message);
export const invalidNextToken = (message = 'The next token is invalid.') =>
  new PersonalizeError('InvalidNextTokenException', message);
