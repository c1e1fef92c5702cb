import {
  substitute,
  TRAINING_STEP_LIST,
  trainingDefinition,
} from '../../../lambdas/workflows/training-definition';

const arns = Object.fromEntries(
  TRAINING_STEP_LIST.map((s) => [s.placeholder, `arn:aws:lambda:::function:${s.worker}`]),
);

describe('training definition', () => {
  it('fills every placeholder and leaves none behind', () => {
    const text = substitute(trainingDefinition(), arns);
    expect(text).not.toMatch(/\$\{/);
    const states = (JSON.parse(text) as { States: Record<string, { Resource?: string }> }).States;
    for (const step of TRAINING_STEP_LIST) {
      expect(states[step.state]?.Resource).toBe(`arn:aws:lambda:::function:${step.worker}`);
    }
  });

  it('refuses a missing placeholder value', () => {
    const { PrepareFunctionArn: _, ...partial } = arns;
    expect(() => substitute(trainingDefinition(), partial)).toThrow(
      `No value for placeholder \${PrepareFunctionArn}`,
    );
  });

  it('passes only the version ARN between states and the caught error to the failure step', () => {
    const states = trainingDefinition().States as Record<string, Record<string, unknown>>;
    for (const step of TRAINING_STEP_LIST) {
      const params = states[step.state]?.Parameters as Record<string, string>;
      expect(params['solutionVersionArn.$']).toBe('$.solutionVersionArn');
      const extra = Object.keys(params).filter((k) => k !== 'solutionVersionArn.$');
      expect(extra).toEqual(step.state === 'RecordFailure' ? ['error.$'] : []);
    }
  });
});
