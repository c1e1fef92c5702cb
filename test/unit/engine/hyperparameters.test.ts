import {
  DEFAULT_HYPERPARAMETERS,
  HyperParameterError,
  parseHyperParameters,
} from '../../../lambdas/engine/hyperparameters';

describe('parseHyperParameters', () => {
  it('returns the defaults for empty maps', () => {
    expect(parseHyperParameters()).toEqual(DEFAULT_HYPERPARAMETERS);
    expect(parseHyperParameters({}, {})).toEqual(DEFAULT_HYPERPARAMETERS);
  });

  it('parses Personalize string maps', () => {
    expect(
      parseHyperParameters(
        { hidden_dimension: '64', bptt: '8', recency_mask: 'false' },
        { min_user_history_length_percentile: '0.05', max_user_history_length_percentile: '0.9' },
      ),
    ).toEqual({
      hiddenDimension: 64,
      bptt: 8,
      recencyMask: false,
      minUserHistoryLengthPercentile: 0.05,
      maxUserHistoryLengthPercentile: 0.9,
    });
  });

  it.each([
    [{ hidden_dimension: '31' }, {}, 'hidden_dimension'],
    [{ hidden_dimension: '257' }, {}, 'hidden_dimension'],
    [{ hidden_dimension: '64.5' }, {}, 'hidden_dimension'],
    [{ bptt: '1' }, {}, 'bptt'],
    [{ bptt: '33' }, {}, 'bptt'],
    [{ bptt: '' }, {}, 'bptt'],
    [{ recency_mask: 'yes' }, {}, 'recency_mask'],
    [{ learning_rate: '0.1' }, {}, 'learning_rate'],
    [{}, { max_user_history_length_percentile: '1.5' }, 'max_user_history_length_percentile'],
    [{}, { min_user_history_length_percentile: 'abc' }, 'min_user_history_length_percentile'],
    [
      {},
      { min_user_history_length_percentile: '0.8', max_user_history_length_percentile: '0.5' },
      'min_user_history_length_percentile',
    ],
  ])('rejects %j %j naming %s', (algo, feat, name) => {
    let caught: unknown;
    try {
      parseHyperParameters(algo as Record<string, string>, feat as Record<string, string>);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HyperParameterError);
    expect((caught as HyperParameterError).parameter).toBe(name);
    expect((caught as Error).message).toContain(name);
  });
});
