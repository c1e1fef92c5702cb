import { ROUTES } from '../../../lambdas/api/routes';
import { codePointLength, hasOperation, SAFE_PATTERNS, validateInput } from '../../../lambdas/api/validation';
import { PersonalizeError } from '../../../lambdas/errors';

function failure(fn: () => unknown): PersonalizeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PersonalizeError) return err;
    throw err;
  }
  throw new Error('expected validation to fail');
}

const arn = 'arn:aws:personalize:eu-west-1:123456789012:dataset-group/movies';

describe('validateInput', () => {
  it('accepts a valid input and returns it without nulls or unknown members', () => {
    const out = validateInput('control', 'CreateDatasetGroup', {
      name: 'movies_2024-v1',
      roleArn: null,
      somethingNewer: 1,
      tags: [{ tagKey: 'team', tagValue: 'recs' }],
    });
    expect(out).toEqual({ name: 'movies_2024-v1', tags: [{ tagKey: 'team', tagValue: 'recs' }] });
  });

  it('names a missing required member', () => {
    const err = failure(() => validateInput('control', 'CreateDatasetGroup', {}));
    expect(err.errorName).toBe('InvalidInputException');
    expect(err.message).toBe(
      "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    );
  });

  it('checks patterns as whole-string matches and quotes the model pattern', () => {
    const err = failure(() => validateInput('control', 'CreateDatasetGroup', { name: '-x' }));
    expect(err.message).toBe(
      "1 validation error detected: Value '-x' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\\-_]*",
    );
    // Unanchored in the model, so only full-match semantics reject a trailing invalid character.
    expect(() => validateInput('control', 'CreateDatasetGroup', { name: 'ok name' })).toThrow(
      /regular expression/,
    );
    expect(() => validateInput('control', 'DescribeDatasetGroup', { datasetGroupArn: `x${arn}` })).toThrow(
      /regular expression pattern: arn:/,
    );
  });

  it('checks string length bounds in code points', () => {
    expect(() => validateInput('control', 'CreateDatasetGroup', { name: 'a'.repeat(63) })).not.toThrow();
    const err = failure(() => validateInput('control', 'CreateDatasetGroup', { name: 'a'.repeat(64) }));
    expect(err.message).toContain('Member must have length less than or equal to 63');
    expect(codePointLength('😀😀')).toBe(2);
    const emoji = '😀'.repeat(1024);
    const events = (properties: string) => ({
      trackingId: 't',
      sessionId: 's',
      eventList: [{ eventType: 'click', sentAt: 1, properties }],
    });
    // 1024 code points are 2048 UTF-16 units: still within the model's 1024.
    expect(() => validateInput('events', 'PutEvents', events(`"${emoji.slice(4)}"`))).not.toThrow();
    const tooLong = failure(() => validateInput('events', 'PutEvents', events('x'.repeat(1025))));
    expect(tooLong.message).toContain("at 'eventList.1.member.properties'");
    const tooShort = failure(() => validateInput('events', 'PutEvents', { ...events('x'), trackingId: '' }));
    expect(tooShort.message).toContain(
      "Value '' at 'trackingId' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it('checks enum values', () => {
    const input = {
      jobName: 'j',
      datasetArn: arn,
      dataSource: { dataLocation: 's3://b/k.csv' },
      importMode: 'PARTIAL',
    };
    const err = failure(() => validateInput('control', 'CreateDatasetImportJob', input));
    expect(err.message).toContain(
      "Value 'PARTIAL' at 'importMode' failed to satisfy constraint: Member must satisfy enum value set: [FULL, INCREMENTAL]",
    );
    expect(() =>
      validateInput('control', 'CreateDatasetImportJob', { ...input, importMode: 'FULL' }),
    ).not.toThrow();
  });

  it('checks numeric ranges', () => {
    expect(validateInput('control', 'ListDatasetGroups', { maxResults: 100 })).toEqual({ maxResults: 100 });
    expect(failure(() => validateInput('control', 'ListDatasetGroups', { maxResults: 0 })).message).toContain(
      "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    expect(
      failure(() => validateInput('control', 'ListDatasetGroups', { maxResults: 101 })).message,
    ).toContain('Member must have value less than or equal to 100');
  });

  it('checks list sizes and reports nested paths with 1-based indexes', () => {
    const event = { eventType: 'click', sentAt: 1700000000 };
    const tooMany = failure(() =>
      validateInput('events', 'PutEvents', {
        trackingId: 't',
        sessionId: 's',
        eventList: Array(11).fill(event),
      }),
    );
    expect(tooMany.message).toMatch(
      /^1 validation error detected: Value '\[.*\]' at 'eventList' failed to satisfy constraint: Member must have length less than or equal to 10$/,
    );
    const nested = failure(() =>
      validateInput('events', 'PutEvents', {
        trackingId: 't',
        sessionId: 's',
        eventList: [event, { sentAt: 1 }, { ...event, impression: ['i1', ''] }],
      }),
    );
    expect(nested.message).toBe(
      "2 validation errors detected: Value null at 'eventList.2.member.eventType' failed to satisfy constraint: Member must not be null; " +
        "Value '' at 'eventList.3.member.impression.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it('checks map sizes, keys and values', () => {
    const base = { campaignArn: 'arn:aws:personalize:eu-west-1:1:campaign/c', userId: 'u' };
    expect(validateInput('runtime', 'GetRecommendations', { ...base, context: { DEVICE: 'phone' } })).toEqual(
      {
        ...base,
        context: { DEVICE: 'phone' },
      },
    );
    const badKey = failure(() =>
      validateInput('runtime', 'GetRecommendations', { ...base, context: { 'a-b': 'x' } }),
    );
    expect(badKey.message).toContain(
      "at 'context.a-b.key' failed to satisfy constraint: Member must satisfy regular expression",
    );
    const context = Object.fromEntries(Array.from({ length: 151 }, (_, i) => [`K${i}`, 'v']));
    expect(
      failure(() => validateInput('runtime', 'GetRecommendations', { ...base, context })).message,
    ).toContain('Member must have length less than or equal to 150');
  });

  it('turns epoch-second timestamps into Dates, keeping fractions', () => {
    const out = validateInput('events', 'PutEvents', {
      trackingId: 't',
      sessionId: 's',
      eventList: [
        { eventType: 'click', sentAt: 1700000000.123 },
        { eventType: 'click', sentAt: 1700000001 },
      ],
    }) as { eventList: { sentAt: Date }[] };
    expect(out.eventList[0]!.sentAt).toBeInstanceOf(Date);
    expect(out.eventList[0]!.sentAt.getTime()).toBe(1700000000123);
    expect(out.eventList[1]!.sentAt.getTime()).toBe(1700000001000);
  });

  it('answers values of the wrong JSON type with SerializationException naming the member', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['ListDatasetGroups', { maxResults: '10' }],
      ['ListDatasetGroups', { maxResults: 1.5 }],
      ['CreateDatasetGroup', { name: 7 }],
      ['CreateDatasetGroup', { name: 'a', tags: {} }],
      ['CreateDatasetGroup', { name: 'a', tags: ['x'] }],
      ['CreateSolution', { name: 'a', datasetGroupArn: arn, performHPO: 'true' }],
    ];
    for (const [op, input] of cases) {
      const err = failure(() => validateInput('control', op, input));
      expect(err.errorName).toBe('SerializationException');
      expect(err.statusFor('control')).toBe(400);
    }
    const ts = failure(() =>
      validateInput('events', 'PutEvents', {
        trackingId: 't',
        sessionId: 's',
        eventList: [{ eventType: 'c', sentAt: '2024-01-01' }],
      }),
    );
    expect(ts.message).toContain("'eventList.1.member.sentAt'");
  });

  it('takes a float member only within 32-bit float range, and a value that underflows it as 0', () => {
    const put = (eventValue: number) =>
      validateInput('events', 'PutEvents', {
        trackingId: 't',
        sessionId: 's',
        eventList: [{ eventType: 'c', sentAt: 1, eventValue }],
      }) as { eventList: { eventValue: number }[] };
    for (const tooLarge of [1e300, -1e39, 3.5e38]) {
      const err = failure(() => put(tooLarge));
      expect(err.errorName).toBe('SerializationException');
      expect(err.message).toContain("'eventList.1.member.eventValue'");
    }
    expect(put(3.4e38).eventList[0]?.eventValue).toBe(3.4e38);
    expect(put(2.5).eventList[0]?.eventValue).toBe(2.5);
    expect(put(1e-300).eventList[0]?.eventValue).toBe(0);
  });

  it('enforces documented limits stricter than the model', () => {
    const tags = Array.from({ length: 51 }, (_, i) => ({ tagKey: `k${i}`, tagValue: 'v' }));
    const tooManyTags = failure(() => validateInput('control', 'CreateDatasetGroup', { name: 'a', tags }));
    expect(tooManyTags.errorName).toBe('TooManyTagsException');
    expect(() =>
      validateInput('control', 'CreateDatasetGroup', { name: 'a', tags: tags.slice(1) }),
    ).not.toThrow();

    const base = { campaignArn: 'arn:aws:personalize:eu-west-1:1:campaign/c', userId: 'u' };
    expect(() => validateInput('runtime', 'GetRecommendations', { ...base, numResults: 500 })).not.toThrow();
    const tooMany = failure(() =>
      validateInput('runtime', 'GetRecommendations', { ...base, numResults: 501 }),
    );
    expect(tooMany.errorName).toBe('InvalidInputException');
    expect(tooMany.message).toContain(
      "Value '501' at 'numResults' failed to satisfy constraint: Member must have value less than or equal to 500",
    );

    const ranking = { ...base, inputList: Array.from({ length: 501 }, (_, i) => `i${i}`) };
    expect(failure(() => validateInput('runtime', 'GetPersonalizedRanking', ranking)).message).toContain(
      "at 'inputList' failed to satisfy constraint: Member must have length less than or equal to 500",
    );
    const columns = Array.from({ length: 11 }, (_, i) => `C${i}`);
    expect(
      failure(() =>
        validateInput('runtime', 'GetRecommendations', { ...base, metadataColumns: { ITEMS: columns } }),
      ).message,
    ).toContain(
      "at 'metadataColumns.ITEMS.value' failed to satisfy constraint: Member must have length less than or equal to 10",
    );
  });

  it('has a model entry for every routed operation', () => {
    const missing = ROUTES.filter((r) => !hasOperation(r.service, r.operation)).map((r) => r.operation);
    expect(missing).toEqual([]);
    expect(hasOperation('control', 'CreateSolutionVersion')).toBe(true);
    expect(hasOperation('control', 'GetRecommendations')).toBe(false);
  });

  it('rejects an operation the model does not have', () => {
    expect(() => validateInput('runtime', 'CreateDatasetGroup', {})).toThrow(/not in the runtime model/);
  });

  it('uses linear-time equivalents for patterns that backtrack badly', () => {
    const alphabet = [' ', '!', 'a', '~', '\x7f', '\u00e9', '\n'];
    let strings = [''];
    const all = [''];
    for (let len = 1; len <= 5; len++) {
      strings = strings.flatMap((p) => alphabet.map((c) => p + c));
      all.push(...strings);
    }
    for (const [pattern, safe] of Object.entries(SAFE_PATTERNS)) {
      const original = new RegExp(`^(?:${pattern})$`, 'u');
      for (const x of all) {
        if (safe.test(x) !== original.test(x)) throw new Error(`${pattern} differs on ${JSON.stringify(x)}`);
      }
    }
    // Ten 1024-character near-misses took seconds with the model's pattern as written.
    const nearMiss = `${'/'.repeat(1023)}\u00e9`;
    const started = Date.now();
    const err = failure(() =>
      validateInput('events', 'PutEvents', {
        trackingId: 't',
        sessionId: 's',
        eventList: Array.from({ length: 10 }, () => ({
          eventType: 'click',
          sentAt: 1,
          metricAttribution: { eventAttributionSource: nearMiss },
        })),
      }),
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err.message).toMatch(
      /^10 validation errors detected: .*'eventList.1.member.metricAttribution.eventAttributionSource'/,
    );
  });
});
