/** A problem with what the validator was asked to do (missing file, unknown model, bad output path), not with the data. */
export class DatasetInputError extends Error {
  override readonly name = 'DatasetInputError';
}
